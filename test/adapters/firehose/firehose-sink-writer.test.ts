import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { readSinkRecords } from '../../../lambdas/adapters/file/file-sink-writer.js';
import { FirehoseSinkWriter } from '../../../lambdas/adapters/firehose/firehose-sink-writer.js';
import type { SinkRecord } from '../../../lambdas/core/sink-record.js';
import { startFirehoseServer } from '../../../local/firehose/firehose-server.js';
import { describeSinkWriterContract, sinkRecord } from '../sink-writer-contract.js';

const STREAM = 'qosgate-sink';
const noPause = async () => {};

async function standIn() {
  const root = await mkdtemp(join(tmpdir(), 'qosgate-firehose-'));
  const server = await startFirehoseServer({ streams: { [STREAM]: root } });
  const client = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const calls: number[] = [];
  // Counts what each PutRecordBatch carried, on the real client (no mock: the stand-in answers).
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutRecordBatchCommand') calls.push(((args.input as { Records: unknown[] }).Records ?? []).length);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return {
    root,
    server,
    client,
    calls,
    close: async () => {
      client.destroy();
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

const idOf = (data: string) => (JSON.parse(data) as SinkRecord).messageId;

describeSinkWriterContract('firehose (local Firehose stand-in, real SDK client)', async () => {
  const s = await standIn();
  const refused = new Set<string>();
  s.server.refuseRecords((data) => (refused.has(idOf(data)) ? 'ServiceUnavailableException' : undefined));
  return {
    writer: new FirehoseSinkWriter(s.client, STREAM, { pause: noPause }),
    root: s.root,
    refuse: (ids) => ids.forEach((id) => refused.add(id)),
    close: s.close,
  };
});

describe('FirehoseSinkWriter', () => {
  it('sends again only the records Firehose refused, and stores them once it takes them', async () => {
    const s = await standIn();
    try {
      const refusals = new Map([['flaky', 2]]);
      s.server.refuseRecords((data) => {
        const left = refusals.get(idOf(data)) ?? 0;
        if (left === 0) return undefined;
        refusals.set(idOf(data), left - 1);
        return 'ServiceUnavailableException';
      });
      const writer = new FirehoseSinkWriter(s.client, STREAM, { attempts: 3, pause: noPause });
      const result = await writer.write([sinkRecord({ messageId: 'a' }), sinkRecord({ messageId: 'flaky' }), sinkRecord({ messageId: 'c' })]);
      expect(result).toEqual({ failed: [] });
      // Three records first, then the refused one alone, twice.
      expect(s.calls).toEqual([3, 1, 1]);
      expect((await readSinkRecords(s.root)).map((r) => r.record.messageId)).toEqual(['a', 'c', 'flaky']);
    } finally {
      await s.close();
    }
  });

  it('reports a record still refused after its attempts, having stored the others once', async () => {
    const s = await standIn();
    try {
      s.server.refuseRecords((data) => (idOf(data) === 'never' ? 'ServiceUnavailableException' : undefined));
      const writer = new FirehoseSinkWriter(s.client, STREAM, { attempts: 2, pause: noPause });
      expect(await writer.write([sinkRecord({ messageId: 'never' }), sinkRecord({ messageId: 'b' })])).toEqual({ failed: [0] });
      expect(s.calls).toEqual([2, 1]);
      expect((await readSinkRecords(s.root)).map((r) => r.record.messageId)).toEqual(['b']);
    } finally {
      await s.close();
    }
  });

  it('splits a large write into calls of at most 500 records and 4 MiB', async () => {
    const s = await standIn();
    try {
      const writer = new FirehoseSinkWriter(s.client, STREAM, { pause: noPause });
      const small = Array.from({ length: 1001 }, (_, i) => sinkRecord({ messageId: `m-${i}` }));
      expect(await writer.write(small)).toEqual({ failed: [] });
      expect(s.calls).toEqual([500, 500, 1]);
      s.calls.length = 0;
      // 10 records of ~900 KB: four fit in 4 MiB.
      const big = Array.from({ length: 10 }, (_, i) => sinkRecord({ messageId: `big-${i}`, data: 'x'.repeat(900_000) }));
      expect(await writer.write(big)).toEqual({ failed: [] });
      expect(s.calls).toEqual([4, 4, 2]);
      expect((await readSinkRecords(s.root)).length).toBe(1011);
    } finally {
      await s.close();
    }
  });

  it('reports a record over Firehose’s 1,000 KiB limit failed without sending it', async () => {
    const s = await standIn();
    try {
      const writer = new FirehoseSinkWriter(s.client, STREAM, { pause: noPause });
      expect(await writer.write([sinkRecord({ messageId: 'huge', data: 'x'.repeat(1_100_000) }), sinkRecord({ messageId: 'ok' })])).toEqual({ failed: [0] });
      expect(s.calls).toEqual([1]);
    } finally {
      await s.close();
    }
  });

  it('tries the whole call again when the call itself fails (an unknown stream fails every time)', async () => {
    const s = await standIn();
    try {
      const writer = new FirehoseSinkWriter(s.client, 'no-such-stream', { attempts: 2, pause: noPause });
      expect(await writer.write([sinkRecord({ messageId: 'a' }), sinkRecord({ messageId: 'b' })])).toEqual({ failed: [0, 1] });
      expect(s.calls).toEqual([2, 2]);
      await expect(s.client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'no-such-stream', Records: [{ Data: Buffer.from('{}') }] }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      await s.close();
    }
  });
});
