import { DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createTables, prefixedTableNames } from '../../../lambdas/adapters/dynamodb/create-tables.js';
import { DynamoDbPendingStore, dueShardOf } from '../../../lambdas/adapters/dynamodb/dynamodb-pending-store.js';
import type { TableName } from '../../../lambdas/adapters/dynamodb/schema.js';
import type { PendingEntry } from '../../../lambdas/core/types.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/**
 * The proof behind the resend sweep's cost: due() Queries the byDue index shard by shard with
 * `dueAt <= now`, so entries that are not due yet are never read, however many there are.
 */

const SHARDS = 4;
/** In the future: DynamoDB Local's TTL deletes items whose expiresAt has passed on the wall clock. */
const NOW = 4_000_000_000_000;

interface Recorded {
  command: string;
  input: Record<string, unknown>;
  count?: number;
  scannedCount?: number;
  consumedCapacity?: unknown;
  error?: string;
}

// Its own client: the DocumentClient shares its middleware stack with the client it wraps.
const client = testDynamoDbClient();
const doc = testDocumentClient(client);
const recorded: Recorded[] = [];

// Records every command the adapter sends (by the low-level name: QueryCommand, PutItemCommand ...),
// and what DynamoDB says it read. Sits at the initialize step, where input and output are the
// DocumentClient's own (unmarshalled); asks for ConsumedCapacity on every request.
doc.middlewareStack.add(
  (next, context) => async (args) => {
    const input = { ...(args.input as Record<string, unknown>), ReturnConsumedCapacity: 'TOTAL' };
    const command = context.commandName ?? 'unknown';
    try {
      const result = await next({ ...args, input: input as typeof args.input });
      const output = result.output as { Count?: number; ScannedCount?: number; ConsumedCapacity?: unknown };
      recorded.push({
        command,
        input,
        count: output.Count,
        scannedCount: output.ScannedCount,
        consumedCapacity: output.ConsumedCapacity,
      });
      return result;
    } catch (error) {
      // A failed condition is a request too (and a write unit spent).
      recorded.push({ command, input, error: (error as Error).name });
      throw error;
    }
  },
  { step: 'initialize', name: 'recordReads' },
);

const tables: string[] = [];
let names: Record<TableName, string>;
let store: DynamoDbPendingStore;

beforeEach(async () => {
  names = prefixedTableNames(uniquePrefix('pending'));
  await createTables(client, names);
  tables.push(...Object.values(names));
  store = new DynamoDbPendingStore(doc, names.pending, { resendShards: SHARDS });
  recorded.length = 0;
});

afterAll(async () => {
  await Promise.all(tables.map((name) => client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined)));
  client.destroy();
});

describe('DynamoDbPendingStore.due', () => {
  it('reads nothing when 500 entries are all due in the future: one Query per shard, ScannedCount 0, no Scan', async () => {
    await store.putMany(Array.from({ length: 500 }, (_, i) => entry(`s${i % 37}`, `m${i}`, NOW + 1 + i * 1000)));
    recorded.length = 0;

    expect(await store.due(NOW, 100)).toEqual([]);

    expect(recorded.map((r) => r.command)).toEqual(Array(SHARDS).fill('QueryCommand'));
    expect(recorded.map((r) => r.input.ExpressionAttributeValues).map((v) => (v as { ':s': string })[':s']).sort()).toEqual(
      Array.from({ length: SHARDS }, (_, i) => String(i)),
    );
    for (const query of recorded) {
      expect(query.input).toMatchObject({ IndexName: 'byDue', KeyConditionExpression: 'dueShard = :s AND dueAt <= :now' });
      expect(query.scannedCount).toBe(0);
      expect(query.count).toBe(0);
      expect(query.consumedCapacity).toMatchObject({ TableName: names.pending });
    }
    expect(recorded.some((r) => r.command.startsWith('Scan'))).toBe(false);
  });

  it('when 3 of the 500 are due, reads exactly those 3', async () => {
    const entries = Array.from({ length: 500 }, (_, i) => entry(`s${i % 37}`, `m${i}`, NOW + 1 + i * 1000));
    entries[17]!.dueAt = NOW - 300;
    entries[250]!.dueAt = NOW;
    entries[499]!.dueAt = NOW - 5;
    await store.putMany(entries);
    recorded.length = 0;

    expect(await store.due(NOW, 100)).toEqual([
      { sessionId: 's17', id: 'm17', dueAt: NOW - 300 },
      { sessionId: 's18', id: 'm499', dueAt: NOW - 5 },
      { sessionId: 's28', id: 'm250', dueAt: NOW },
    ]);

    expect(recorded.map((r) => r.command)).toEqual(Array(SHARDS).fill('QueryCommand'));
    expect(sum(recorded.map((r) => r.scannedCount ?? NaN))).toBe(3);
    expect(sum(recorded.map((r) => r.count ?? NaN))).toBe(3);
    expect(recorded.some((r) => r.command.startsWith('Scan'))).toBe(false);
  });

  it('stops each shard at the limit: 60 due, limit 5, at most 5 read per shard', async () => {
    await store.putMany(Array.from({ length: 60 }, (_, i) => entry(`s${i}`, 'm', NOW - 1000 + i)));
    recorded.length = 0;

    const due = await store.due(NOW, 5);
    expect(due.map((k) => k.dueAt)).toEqual([0, 1, 2, 3, 4].map((i) => NOW - 1000 + i));
    expect(recorded).toHaveLength(SHARDS);
    for (const query of recorded) expect(query.scannedCount).toBeLessThanOrEqual(5);
  });

  it('puts each entry in the shard its key hashes to, as a string, with dueAt in ms', async () => {
    const e = entry('dev-7', 'm-42', NOW + 123);
    await store.putMany([e]);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: names.pending, Key: { sessionId: { S: 'dev-7' }, id: { S: 'm-42' } } }),
    );
    expect(Item?.dueShard).toEqual({ S: dueShardOf(e, SHARDS) });
    expect(Item?.dueAt).toEqual({ N: String(NOW + 123) });
    expect(Number(dueShardOf(e, SHARDS))).toBeLessThan(SHARDS);
    // Stable: the same key always lands in the same shard.
    expect(dueShardOf({ sessionId: 'dev-7', id: 'm-42' }, SHARDS)).toBe(dueShardOf(e, SHARDS));
  });

  it('spreads keys over every shard', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => dueShardOf({ sessionId: `s${i}`, id: 'm1' }, SHARDS)));
    expect([...shards].sort()).toEqual(['0', '1', '2', '3']);
  });
});

describe('DynamoDbPendingStore conditional writes', () => {
  it('release is one conditional UpdateItem, and a repeat learns the state from the failed condition without a read', async () => {
    await store.putMany([entry('s1', 'm1', NOW, 2)]);
    recorded.length = 0;

    expect((await store.release({ sessionId: 's1', id: 'm1' }, NOW + 10_000, NOW)).result).toBe('released');
    expect((await store.release({ sessionId: 's1', id: 'm1' }, NOW + 20_000, NOW)).result).toBe('already-released');
    expect(recorded.map((r) => [r.command, r.error])).toEqual([
      ['UpdateItemCommand', undefined],
      ['UpdateItemCommand', 'ConditionalCheckFailedException'],
    ]);
  });

  it('replaceIf and deleteIf send one conditional request each', async () => {
    await store.putMany([entry('s1', 'm1', NOW)]);
    recorded.length = 0;
    await store.replaceIf(entry('s1', 'm1', NOW + 1), NOW);
    await store.deleteIf({ sessionId: 's1', id: 'm1' }, NOW + 1);
    expect(recorded.map((r) => [r.command, r.input.ConditionExpression, r.error])).toEqual([
      ['PutItemCommand', 'dueAt = :expected AND attribute_not_exists(deadLettering)', undefined],
      ['DeleteItemCommand', 'dueAt = :expected', undefined],
    ]);
  });
});

function entry(sessionId: string, id: string, dueAt: number, qos: 1 | 2 = 1): PendingEntry {
  return {
    sessionId,
    id,
    connectionId: `conn-${sessionId}`,
    sessionKind: 'clean',
    format: 'json',
    controller: 'monitor',
    topic: 'temp',
    data: { i: id },
    qos,
    state: 'sent',
    parked: false,
    attempts: 1,
    createdAt: NOW - 1000,
    deadlineAt: NOW + 86_400_000,
    dueAt,
    expiresAt: NOW + 2 * 86_400_000,
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
