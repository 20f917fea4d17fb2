import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT, LOCAL_REGION, SqsEngine, SqsError } from './sqs-engine.js';

/**
 * An SQS endpoint on 127.0.0.1 for the real SDK client (`@aws-sdk/client-sqs` with
 * `endpoint`, or AWS_ENDPOINT_URL_SQS): the AWS JSON 1.0 protocol it speaks (POST /,
 * `X-Amz-Target: AmazonSQS.<Operation>`), for the operations qosgate and its tests make.
 * Errors come back as SQS sends them: a 400 with `__type` and the query-compatible code in
 * `x-amzn-query-error`, which the SDK turns into the named exception. Signatures are not checked.
 *
 * Queue URLs are `http://127.0.0.1:<port>/000000000000/<name>`.
 */
export interface SqsServer {
  endpoint: string;
  engine: SqsEngine;
  /** The URL of a queue of the engine. */
  queueUrl(name: string): string;
  /** The next `count` calls of `operation` fail as SQS fails a throttled request (after the SDK's own retries, if count is larger than them). */
  refuse(operation: string, count: number): void;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

export async function startSqsServer(options: { engine?: SqsEngine; host?: string; port?: number } = {}): Promise<SqsServer> {
  const engine = options.engine ?? new SqsEngine();
  const refusals = new Map<string, number>();
  let endpoint = '';
  const queueUrl = (name: string) => `${endpoint}/${LOCAL_ACCOUNT}/${name}`;

  const nameOf = (body: Body): string => {
    const url = body.QueueUrl;
    if (typeof url !== 'string') throw new SqsError('MissingParameter', 'QueueUrl is required', 'MissingParameter');
    const name = url.split('/').pop() ?? '';
    if (!engine.has(name)) throw new SqsError('QueueDoesNotExist', `the queue ${url} does not exist`, 'AWS.SimpleQueueService.NonExistentQueue');
    return name;
  };

  const operations: Record<string, (body: Body) => unknown> = {
    GetQueueUrl: (body) => {
      const name = String(body.QueueName ?? '');
      if (!engine.has(name)) throw new SqsError('QueueDoesNotExist', `the queue ${name} does not exist`, 'AWS.SimpleQueueService.NonExistentQueue');
      return { QueueUrl: queueUrl(name) };
    },
    CreateQueue: (body) => {
      const name = String(body.QueueName ?? '');
      const attributes = (body.Attributes ?? {}) as Record<string, string>;
      const redrive = attributes.RedrivePolicy ? (JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string }) : undefined;
      engine.createQueue(name, {
        ...(attributes.VisibilityTimeout ? { visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout) } : {}),
        ...(attributes.MessageRetentionPeriod ? { messageRetentionSeconds: Number(attributes.MessageRetentionPeriod) } : {}),
        ...(redrive ? { redrive: { deadLetterQueue: redrive.deadLetterTargetArn.split(':').pop() ?? '', maxReceiveCount: Number(redrive.maxReceiveCount) } } : {}),
      });
      return { QueueUrl: queueUrl(name) };
    },
    SendMessage: (body) => {
      const sent = engine.send(nameOf(body), String(body.MessageBody ?? ''), Number(body.DelaySeconds ?? 0));
      return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody };
    },
    SendMessageBatch: (body) => {
      const name = nameOf(body);
      const entries = (body.Entries ?? []) as Array<{ Id: string; MessageBody: string; DelaySeconds?: number }>;
      if (entries.length === 0 || entries.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', 'a batch holds 1 to 10 entries', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
      return {
        Successful: entries.map((entry) => {
          const sent = engine.send(name, entry.MessageBody, entry.DelaySeconds ?? 0);
          return { Id: entry.Id, MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody };
        }),
        Failed: [],
      };
    },
    ReceiveMessage: (body) => {
      const max = Number(body.MaxNumberOfMessages ?? 1);
      if (!Number.isInteger(max) || max < 1 || max > 10) throw new SqsError('InvalidParameterValue', 'MaxNumberOfMessages must be 1 to 10', 'InvalidParameterValue');
      const wanted = new Set([...((body.AttributeNames ?? []) as string[]), ...((body.MessageSystemAttributeNames ?? []) as string[])]);
      const visibility = body.VisibilityTimeout === undefined ? undefined : Number(body.VisibilityTimeout);
      const messages = engine.receive(nameOf(body), max, visibility);
      return {
        Messages: messages.map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5OfBody,
          Body: m.body,
          ...(wanted.size > 0 ? { Attributes: Object.fromEntries(Object.entries(m.attributes).filter(([k]) => wanted.has('All') || wanted.has(k))) } : {}),
        })),
      };
    },
    DeleteMessage: (body) => {
      engine.delete(nameOf(body), String(body.ReceiptHandle ?? ''));
      return {};
    },
    DeleteMessageBatch: (body) => {
      const name = nameOf(body);
      const entries = (body.Entries ?? []) as Array<{ Id: string; ReceiptHandle: string }>;
      for (const entry of entries) engine.delete(name, entry.ReceiptHandle);
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    },
    ChangeMessageVisibility: (body) => {
      engine.changeVisibility(nameOf(body), String(body.ReceiptHandle ?? ''), Number(body.VisibilityTimeout ?? 0));
      return {};
    },
    GetQueueAttributes: (body) => {
      const name = nameOf(body);
      const settings = engine.settingsOf(name);
      const counts = engine.counts(name);
      return {
        Attributes: {
          QueueArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`,
          ApproximateNumberOfMessages: String(counts.visible),
          ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
          ApproximateNumberOfMessagesDelayed: '0',
          VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(settings.messageRetentionSeconds),
          ...(settings.redrive
            ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${settings.redrive.deadLetterQueue}`, maxReceiveCount: settings.redrive.maxReceiveCount }) }
            : {}),
        },
      };
    },
    PurgeQueue: (body) => {
      engine.purge(nameOf(body));
      return {};
    },
  };

  const answer = (res: ServerResponse, status: number, payload: unknown, queryError?: string) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
    });
    res.end(JSON.stringify(payload));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    try {
      const run = operations[operation];
      if (req.method !== 'POST' || !run) throw new SqsError('InvalidAction', `the local SQS endpoint does not serve ${JSON.stringify(target)} (${req.method})`, 'InvalidAction');
      const left = refusals.get(operation) ?? 0;
      if (left > 0) {
        refusals.set(operation, left - 1);
        throw new SqsError('RequestThrottled', 'Request is throttled.', 'RequestThrottled');
      }
      let body: Body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Body;
      } catch {
        throw new SqsError('InvalidParameterValue', 'the request body is not JSON', 'InvalidParameterValue');
      }
      answer(res, 200, run(body));
    } catch (error) {
      const sqs = error instanceof SqsError ? error : new SqsError('InternalError', error instanceof Error ? error.message : String(error), 'InternalError', 500);
      answer(res, sqs.status, { __type: `com.amazonaws.sqs#${sqs.name}`, message: sqs.message }, `${sqs.queryCode};${sqs.status >= 500 ? 'Receiver' : 'Sender'}`);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  endpoint = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  return {
    endpoint,
    engine,
    queueUrl,
    refuse: (operation, count) => refusals.set(operation, (refusals.get(operation) ?? 0) + count),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
