import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { historyItem } from '../../lambdas/adapters/dynamodb/dynamodb-history-store.js';
import { sinkRecordOfImage as recordOf } from '../../lambdas/adapters/dynamodb/history-stream.js';
import { FileSinkWriter, readSinkRecords } from '../../lambdas/adapters/file/file-sink-writer.js';
import type { HistoryRecord } from '../../lambdas/core/types.js';
import { createSinkHandler, type StreamRecord } from '../../lambdas/handlers/sink.js';
import { silentLogger, type Logger } from '../../lambdas/ports/logger.js';
import type { SinkWriter } from '../../lambdas/ports/sink-writer.js';

const AT = Date.UTC(2026, 11, 1, 9, 30);

const history = (overrides: Partial<HistoryRecord> = {}): HistoryRecord => ({
  controller: 'sensors',
  topic: 'hall',
  data: { lux: 300 },
  qos: 1,
  clientId: 'probe-7',
  receivedAt: AT,
  messageId: 's-7:42',
  expiresAt: AT + 86_400_000,
  ...overrides,
});

let sequence = 100;
/** A stream record as DynamoDB Streams hands Lambda one: the item's new image in AttributeValue JSON. */
const insert = (record: HistoryRecord, eventName: StreamRecord['eventName'] = 'INSERT'): StreamRecord => ({
  eventName,
  dynamodb: { SequenceNumber: String((sequence += 1)).padStart(21, '0'), NewImage: marshall(historyItem(record), { removeUndefinedValues: true }) as Record<string, unknown> },
});

describe('sink handler', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qosgate-sink-handler-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes each inserted history item as its PROTOCOL §11 record, without the history TTL', async () => {
    const handler = createSinkHandler({ writer: new FileSinkWriter(root), recordOf, log: silentLogger });
    const result = await handler({ Records: [insert(history()), insert(history({ messageId: 's-7:43', qos: 2, data: [1, 'two'] }))] });
    expect(result).toEqual({ batchItemFailures: [] });
    const stored = await readSinkRecords(root);
    expect(stored.map((s) => s.record)).toEqual([
      { controller: 'sensors', topic: 'hall', data: { lux: 300 }, qos: 1, clientId: 'probe-7', receivedAt: AT, messageId: 's-7:42' },
      { controller: 'sensors', topic: 'hall', data: [1, 'two'], qos: 2, clientId: 'probe-7', receivedAt: AT, messageId: 's-7:43' },
    ]);
    expect(Object.keys(stored[0]?.record ?? {})).toEqual(['controller', 'topic', 'data', 'qos', 'clientId', 'receivedAt', 'messageId']);
    expect(stored[0]?.partition).toBe('controller=sensors/topic=hall/hour=2026-12-01T09');
  });

  it('skips (and logs) what is not a history insert, so it never holds the shard', async () => {
    const warnings: unknown[] = [];
    const log: Logger = { ...silentLogger, warn: (message, fields) => warnings.push({ message, ...fields }) };
    const handler = createSinkHandler({ writer: new FileSinkWriter(root), recordOf, log });
    const notHistory: StreamRecord = { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: { pk: { S: 'x' } } } };
    const result = await handler({ Records: [insert(history({ messageId: 'modified' }), 'MODIFY'), insert(history({ messageId: 'removed' }), 'REMOVE'), notHistory, insert(history({ messageId: 'kept' }))] });
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await readSinkRecords(root)).map((s) => s.record.messageId)).toEqual(['kept']);
    expect(warnings).toEqual([{ message: 'Sink skipped stream records that are not history inserts', skipped: 3 }]);
  });

  it('names the first record the sink refused, so the mapping resumes there and not before', async () => {
    const file = new FileSinkWriter(root);
    // Fault injection: a sink that refuses two records of the batch.
    const writer: SinkWriter = {
      write: async (records) => {
        const refused = records.flatMap((r, i) => (r.messageId === 'b' || r.messageId === 'd' ? [i] : []));
        await file.write(records.filter((_, i) => !refused.includes(i)));
        return { failed: refused };
      },
    };
    const handler = createSinkHandler({ writer, recordOf, log: silentLogger });
    const records = ['a', 'b', 'c', 'd'].map((id) => insert(history({ messageId: id })));
    const result = await handler({ Records: records });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
  });

  it('fails the whole batch at its first record when the writer throws', async () => {
    const handler = createSinkHandler({ writer: { write: async () => Promise.reject(new Error('disk gone')) }, recordOf, log: silentLogger });
    const records = [insert(history({ messageId: 'a' })), insert(history({ messageId: 'b' }))];
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }] });
  });

  it('answers an empty batch without writing', async () => {
    let calls = 0;
    const handler = createSinkHandler({ writer: { write: async () => ((calls += 1), { failed: [] }) }, recordOf, log: silentLogger });
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    expect(calls).toBe(0);
  });
});
