import { DeleteTableCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeEach } from 'vitest';
import { createTables, prefixedTableNames } from '../../../lambdas/adapters/dynamodb/create-tables.js';
import { DynamoDbPendingStore, type DynamoDbPendingStoreOptions } from '../../../lambdas/adapters/dynamodb/dynamodb-pending-store.js';
import type { Item } from '../../../lambdas/adapters/dynamodb/items.js';
import type { TableName } from '../../../lambdas/adapters/dynamodb/schema.js';
import type { PendingEntry } from '../../../lambdas/core/types.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/**
 * What the DynamoDbPendingStore tests share: fresh tables per test, a store on a client that
 * records every request (by the low-level name: QueryCommand, PutItemCommand ...) with what
 * DynamoDB says it read and consumed, and raw access to the items, apart from the recording.
 */

export const SHARDS = 4;
/** In the future: DynamoDB Local's TTL deletes items whose expiresAt has passed on the wall clock. */
export const NOW = 4_000_000_000_000;

export interface Recorded {
  command: string;
  input: Record<string, unknown>;
  count?: number;
  scannedCount?: number;
  consumedCapacity?: Capacity | Capacity[];
  error?: string;
}

export interface Capacity {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

export interface PendingFixture {
  /** The raw client (not recorded): table setup and item inspection. */
  client: DynamoDBClient;
  /** The recorded DocumentClient the stores use. */
  doc: DynamoDBDocumentClient;
  recorded: Recorded[];
  names: Record<TableName, string>;
  store: DynamoDbPendingStore;
  /** Another store on the same tables, as another container has: its own memory of bodies written. */
  otherStore(): DynamoDbPendingStore;
  /** One raw item of a table, as stored. */
  item(table: TableName, key: Item): Promise<Item | undefined>;
  /** Every raw item of a table (a Scan: tests only). */
  items(table: TableName): Promise<Item[]>;
}

/** Registers the per-test setup of a file and returns the fixture its tests read (filled in beforeEach). */
export function pendingFixture(options: Pick<DynamoDbPendingStoreOptions, 'firstSends'> = {}): PendingFixture {
  const client = testDynamoDbClient();
  // Its own client: the DocumentClient shares its middleware stack with the client it wraps.
  const doc = testDocumentClient(testDynamoDbClient());
  const recorded: Recorded[] = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = { ...(args.input as Record<string, unknown>), ReturnConsumedCapacity: 'INDEXES' };
      const command = context.commandName ?? 'unknown';
      try {
        const result = await next({ ...args, input: input as typeof args.input });
        const output = result.output as { Count?: number; ScannedCount?: number; ConsumedCapacity?: Capacity | Capacity[] };
        recorded.push({ command, input, count: output.Count, scannedCount: output.ScannedCount, consumedCapacity: output.ConsumedCapacity });
        return result;
      } catch (error) {
        // A failed condition is a request too (and a write unit spent).
        recorded.push({ command, input, error: (error as Error).name });
        throw error;
      }
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  const tables: string[] = [];
  const fixture = { client, doc, recorded } as PendingFixture;
  const newStore = () => new DynamoDbPendingStore(doc, fixture.names.pending, { resendShards: SHARDS, messagesTable: fixture.names.messages, ...options });

  beforeEach(async () => {
    fixture.names = prefixedTableNames(uniquePrefix('pending'));
    await createTables(client, fixture.names);
    tables.push(...Object.values(fixture.names));
    fixture.store = newStore();
    recorded.length = 0;
  });
  afterAll(async () => {
    await Promise.all(tables.map((name) => client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined)));
    client.destroy();
  });

  fixture.otherStore = newStore;
  fixture.item = async (table, key) => {
    const raw = testDocumentClient(client);
    return (await raw.send(new GetCommand({ TableName: fixture.names[table], Key: key, ConsistentRead: true }))).Item;
  };
  fixture.items = async (table) => {
    const items: Item[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: fixture.names[table], ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
      start = page.LastEvaluatedKey as typeof start;
    } while (start !== undefined);
    return items;
  };
  return fixture;
}

/** A connected recipient's entry as a fan-out's first send stores it (covered by a due marker). */
export function entry(sessionId: string, id: string, dueAt: number, overrides: Partial<PendingEntry> = {}): PendingEntry {
  return {
    sessionId,
    id,
    connectionId: `conn-${sessionId}`,
    sessionKind: 'clean',
    format: 'json',
    controller: 'monitor',
    topic: 'temp',
    data: { i: id },
    qos: 1,
    state: 'sent',
    parked: false,
    sent: true,
    attempts: 1,
    createdAt: NOW - 1000,
    deadlineAt: NOW + 86_400_000,
    dueAt,
    expiresAt: NOW + 2 * 86_400_000,
    ...overrides,
  };
}

/** Units a request consumed, on the table and on its indexes, summed over the tables it touched. */
export function unitsOf(record: Recorded): number {
  const list = record.consumedCapacity === undefined ? [] : Array.isArray(record.consumedCapacity) ? record.consumedCapacity : [record.consumedCapacity];
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
