import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FileSinkWriter, readSinkRecords } from '../../lambdas/adapters/file/file-sink-writer.js';
import type { SinkRecord } from '../../lambdas/core/sink-record.js';

/**
 * A Firehose endpoint on 127.0.0.1 for the real SDK client (`@aws-sdk/client-firehose` with
 * `endpoint`, or AWS_ENDPOINT_URL_FIREHOSE): the AWS JSON 1.1 protocol (POST /,
 * `X-Amz-Target: Firehose_20150804.PutRecordBatch`), for the one call the sink makes. Each
 * delivery stream it serves stands for the template's stream and its S3 bucket at once: it does
 * what the stream's dynamic partitioning does (controller, topic and hour of each JSON record,
 * lib/constructs/ingestion-sink.ts) and appends the records, fsync'd, before it answers, through
 * the file adapter (FileSinkWriter) under `root`. A record that is not a sink record goes to
 * `root/errors/` as Firehose's error output prefix would take it. Signatures are not checked.
 */
export interface FirehoseServer {
  endpoint: string;
  /** Records stored since the start plus those already in the files then (the dashboard's count). */
  recordsWritten(): number;
  /**
   * Fault injection: from now on, each record this returns an ErrorCode for is refused in its
   * PutRecordBatch answer, as Firehose refuses records of a call (ServiceUnavailableException).
   */
  refuseRecords(refuse: ((data: string) => string | undefined) | undefined): void;
  close(): Promise<void>;
}

export interface FirehoseServerOptions {
  /** Delivery stream name -> the folder its records go under. */
  streams: Record<string, string>;
  host?: string;
  port?: number;
}

class FirehoseError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startFirehoseServer(options: FirehoseServerOptions): Promise<FirehoseServer> {
  const writers = new Map(Object.entries(options.streams).map(([name, root]) => [name, new FileSinkWriter(root)]));
  let written = 0;
  for (const root of Object.values(options.streams)) written += (await readSinkRecords(root)).length;
  let refuse: ((data: string) => string | undefined) | undefined;

  const putRecordBatch = async (body: Record<string, unknown>) => {
    const name = String(body.DeliveryStreamName ?? '');
    const writer = writers.get(name);
    if (!writer) throw new FirehoseError('ResourceNotFoundException', `Firehose ${name} under account 000000000000 not found.`);
    const records = (body.Records ?? []) as Array<{ Data?: string }>;
    if (!Array.isArray(records) || records.length === 0 || records.length > 500) throw new FirehoseError('InvalidArgumentException', 'Records must hold 1 to 500 records');
    const texts = records.map((r) => Buffer.from(String(r.Data ?? ''), 'base64').toString('utf8'));
    const answers: Array<{ RecordId?: string; ErrorCode?: string; ErrorMessage?: string }> = texts.map(() => ({ RecordId: randomUUID() }));
    const parsed: Array<{ at: number; record: SinkRecord }> = [];
    const unreadable: string[] = [];
    texts.forEach((text, at) => {
      const code = refuse?.(text);
      if (code !== undefined) {
        answers[at] = { ErrorCode: code, ErrorMessage: 'Refused by the local stand-in (fault injection)' };
        return;
      }
      const record = sinkRecordOfText(text);
      if (record) parsed.push({ at, record });
      else unreadable.push(text.endsWith('\n') ? text : `${text}\n`);
    });
    const { failed } = await writer.write(parsed.map((p) => p.record));
    for (const index of failed) answers[(parsed[index] as { at: number }).at] = { ErrorCode: 'InternalFailure', ErrorMessage: 'the local sink file could not be written' };
    if (unreadable.length > 0) {
      // Firehose: records its metadata extraction cannot read go under the error output prefix.
      const folder = join(writer.root, 'errors');
      await mkdir(folder, { recursive: true });
      await appendFile(join(folder, 'unreadable.jsonl'), unreadable.join(''));
    }
    const failedCount = answers.filter((a) => a.ErrorCode !== undefined).length;
    written += parsed.length - failed.length;
    return { FailedPutCount: failedCount, Encrypted: false, RequestResponses: answers };
  };

  const answer = (res: ServerResponse, status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(payload));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (req.method !== 'POST' || target !== 'Firehose_20150804.PutRecordBatch') {
        throw new FirehoseError('InvalidArgumentException', `the local Firehose endpoint serves PutRecordBatch only, not ${JSON.stringify(target)} (${req.method})`);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new FirehoseError('InvalidArgumentException', 'the request body is not JSON');
      }
      answer(res, 200, await putRecordBatch(body));
    } catch (error) {
      const failure = error instanceof FirehoseError ? error : new FirehoseError('ServiceUnavailableException', error instanceof Error ? error.message : String(error), 500);
      answer(res, failure.status, { __type: failure.name, message: failure.message });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    recordsWritten: () => written,
    refuseRecords: (next) => (refuse = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A §11 record from one Firehose record's data (a JSON line), or undefined. */
function sinkRecordOfText(text: string): SinkRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<SinkRecord>;
    const ok = value !== null && typeof value === 'object' && typeof value.controller === 'string' && typeof value.topic === 'string' && typeof value.receivedAt === 'number';
    return ok ? (value as SinkRecord) : undefined;
  } catch {
    return undefined;
  }
}
