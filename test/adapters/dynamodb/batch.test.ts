import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { batchGet, batchWrite, UnprocessedItemsError, type WriteRequest } from '../../../lambdas/adapters/dynamodb/batch.js';

/**
 * DynamoDB Local never hands back unprocessed items, so the retry is proven against a mocked
 * client: what comes back unprocessed is sent again (and only that), after a bounded backoff.
 */

const TABLE = 'pending';
const client = new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const doc = DynamoDBDocumentClient.from(client);
const mock = mockClient(doc);

let sleeps: number[];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

beforeEach(() => {
  mock.reset();
  sleeps = [];
});

afterAll(() => {
  mock.restore();
  client.destroy();
});

const put = (i: number): WriteRequest => ({ PutRequest: { Item: { sessionId: 's', id: `m${i}` } } });
const key = (i: number) => ({ sessionId: 's', id: `m${i}` });

describe('batchWrite', () => {
  it('sends chunks of 25', async () => {
    mock.on(BatchWriteCommand).resolves({});
    await batchWrite(doc, TABLE, Array.from({ length: 60 }, (_, i) => put(i)), { sleep });
    const sizes = mock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes.sort()).toEqual([10, 25, 25]);
    expect(sleeps).toEqual([]);
  });

  it('sends again exactly what came back unprocessed, after a pause', async () => {
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [put(1), put(2)] } })
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [put(2)] } })
      .resolves({});
    await batchWrite(doc, TABLE, [put(0), put(1), put(2)], { sleep, baseDelayMs: 100 });

    const sent = mock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(sent).toEqual([[put(0), put(1), put(2)], [put(1), put(2)], [put(2)]]);
    expect(sleeps).toHaveLength(2);
    // Backoff doubles, with jitter between half and all of the ceiling.
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('gives up with a clear error when items stay unprocessed after the bounded retries', async () => {
    mock.on(BatchWriteCommand).resolves({ UnprocessedItems: { [TABLE]: [put(1)] } });
    const error = await batchWrite(doc, TABLE, [put(0), put(1)], { sleep, maxRetries: 3 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnprocessedItemsError);
    expect(error).toMatchObject({ operation: 'BatchWriteItem', tableName: TABLE, unprocessed: 1 });
    expect((error as Error).message).toBe('qosgate: BatchWriteItem on pending left 1 item(s) unprocessed after 4 attempts');
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it('sends nothing for no requests', async () => {
    await batchWrite(doc, TABLE, [], { sleep });
    expect(mock.calls()).toHaveLength(0);
  });

  it('rejects with the first failure and starts no further chunks', async () => {
    mock.on(BatchWriteCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    await expect(batchWrite(doc, TABLE, Array.from({ length: 250 }, (_, i) => put(i)), { sleep })).rejects.toThrow('boom');
    expect(mock.commandCalls(BatchWriteCommand).length).toBeLessThan(10);
  });
});

describe('batchGet', () => {
  it('asks in chunks of 100, consistently, and returns every item found', async () => {
    mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: object[] }> }) => ({
      Responses: { [TABLE]: input.RequestItems[TABLE]?.Keys ?? [] },
    }));
    const keys = Array.from({ length: 250 }, (_, i) => key(i));
    const items = await batchGet(doc, TABLE, keys, { sleep });

    const calls = mock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(calls.map((c) => c?.Keys?.length).sort()).toEqual([100, 100, 50]);
    expect(calls.every((c) => c?.ConsistentRead === true)).toBe(true);
    expect(items).toHaveLength(250);
    expect(new Set(items.map((item) => item.id)).size).toBe(250);
  });

  it('asks again for the unprocessed keys and merges what each answer found', async () => {
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [key(0)] }, UnprocessedKeys: { [TABLE]: { Keys: [key(1), key(2)] } } })
      .resolvesOnce({ Responses: { [TABLE]: [key(1), key(2)] } });
    const items = await batchGet(doc, TABLE, [key(0), key(1), key(2)], { sleep });

    expect(items).toEqual([key(0), key(1), key(2)]);
    const asked = mock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys);
    expect(asked).toEqual([[key(0), key(1), key(2)], [key(1), key(2)]]);
    expect(sleeps).toHaveLength(1);
  });

  it('gives up with a clear error when keys stay unprocessed', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [key(0)] } } });
    await expect(batchGet(doc, TABLE, [key(0)], { sleep, maxRetries: 2 })).rejects.toThrow(
      'qosgate: BatchGetItem on pending left 1 item(s) unprocessed after 3 attempts',
    );
    expect(mock.commandCalls(BatchGetCommand)).toHaveLength(3);
  });

  it('bounds the default retries to a short total pause', async () => {
    mock.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [key(0)] } } });
    await expect(batchGet(doc, TABLE, [key(0)], { sleep })).rejects.toBeInstanceOf(UnprocessedItemsError);
    expect(sleeps.length).toBeLessThanOrEqual(6);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2000);
  });
});
