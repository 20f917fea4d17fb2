import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { readSinkRecords } from '../../../lambdas/adapters/file/file-sink-writer.js';
import { startFirehoseServer } from '../../../local/firehose/firehose-server.js';

/** The local Firehose stand-in, through the real SDK client. */
describe('local Firehose stand-in', () => {
  it('partitions sink records as the stream would, sends unreadable ones to errors/, and counts what it stored', async () => {
    const root = await mkdtemp(join(tmpdir(), 'qosgate-firehose-server-'));
    const server = await startFirehoseServer({ streams: { Sink: root } });
    const client = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    try {
      const good = { controller: 'c', topic: 'a b', data: null, qos: 0, clientId: 'x', receivedAt: Date.UTC(2030, 0, 1, 5), messageId: 'm' };
      const answer = await client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'Sink', Records: [{ Data: Buffer.from(`${JSON.stringify(good)}\n`) }, { Data: Buffer.from('not json') }] }),
      );
      expect(answer.FailedPutCount).toBe(0);
      expect(answer.RequestResponses).toHaveLength(2);
      expect(await readSinkRecords(root)).toEqual([{ partition: 'controller=c/topic=a%20b/hour=2030-01-01T05', record: good }]);
      expect(await readFile(join(root, 'errors', 'unreadable.jsonl'), 'utf8')).toBe('not json\n');
      expect(server.recordsWritten()).toBe(1);
      await expect(client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'Sink', Records: [] }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });

      // A new server on the same folder starts its count from what the files hold.
      const again = await startFirehoseServer({ streams: { Sink: root } });
      expect(again.recordsWritten()).toBe(1);
      await again.close();
    } finally {
      client.destroy();
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
