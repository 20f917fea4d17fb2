import {
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDbStores, createTables, prefixedTableNames } from '../../../lambdas/adapters/dynamodb/index.js';
import { TABLES, type TableName } from '../../../lambdas/adapters/dynamodb/schema.js';
import type { Stores } from '../../../lambdas/ports/index.js';
import { DynamoDbSubscriptionStore } from '../../../lambdas/adapters/dynamodb/dynamodb-subscription-store.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';
import { describeStoreContract } from '../store-contract.js';

const PAGE_SIZE = 25;
/** In the future: DynamoDB Local's TTL deletes items whose expiresAt has passed on the wall clock. */
const NOW = 4_000_000_000_000;
/** Creates tables and looks at raw items; apart from the adapters' client, so it is not recorded. */
const client = testDynamoDbClient();
/** The adapters' client. A DocumentClient shares the middleware stack of the client it wraps. */
const adapterClient = testDynamoDbClient();
const doc = testDocumentClient(adapterClient);
const created: string[] = [];

/** Every request the adapters send in this file, checked in afterAll. */
const requests: Array<{ command: string; input: Record<string, unknown> }> = [];
doc.middlewareStack.add(
  (next, context) => async (args) => {
    requests.push({ command: context.commandName ?? 'unknown', input: args.input as Record<string, unknown> });
    return next(args);
  },
  { step: 'initialize', name: 'recordRequests' },
);

/** Fresh, empty tables for every test, so due() and the fan-out reads see only that test's items. */
async function freshStores(options: { pageSize?: number; firstSends?: 'reference' | 'marker' } = { pageSize: PAGE_SIZE }): Promise<{ stores: Stores; names: Record<TableName, string> }> {
  const names = prefixedTableNames(uniquePrefix('contract'));
  await createTables(client, names);
  created.push(...Object.values(names));
  return { stores: createDynamoDbStores(doc, names, { resendShards: 4, ...options }), names };
}

afterAll(async () => {
  // A check over every request the adapters sent in this file, whichever tests ran: the
  // adapters never Scan, and no UpdateItem goes without a condition (none may create an item
  // but a session's reference mark, whose condition only lets it grow: reference-marks.ts).
  expect(requests.filter((r) => r.command.startsWith('Scan'))).toEqual([]);
  const unconditional = requests.filter((r) => r.command === 'UpdateItemCommand' && typeof r.input.ConditionExpression !== 'string');
  expect(unconditional).toEqual([]);

  await Promise.all(created.map((name) => client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined)));
  client.destroy();
  adapterClient.destroy();
  // Two runs of the contract (both first-send layouts) leave thousands of tables to delete.
}, 300_000);

describeStoreContract('dynamodb', async () => (await freshStores()).stores, { pageSize: PAGE_SIZE });
// The same contract with a fan-out's first sends kept in their due markers only (docs/architecture.md "Sparse first sends").
describeStoreContract('dynamodb, firstSends: marker', async () => (await freshStores({ pageSize: PAGE_SIZE, firstSends: 'marker' })).stores, { pageSize: PAGE_SIZE });

describe('DynamoDB stores', () => {
  it('createTables builds every table of the schema with its indexes, on demand, with TTL on expiresAt', async () => {
    const { names } = await freshStores();
    for (const table of Object.keys(TABLES) as TableName[]) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: names[table] }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.Projection?.ProjectionType])).toEqual(
        TABLES[table].indexes.map((i) => [i.indexName, i.projection]),
      );
      const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: names[table] }));
      expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    }
    // A second run on the same tables is fine (the local runtime restarting).
    await expect(createTables(client, names)).resolves.toBeUndefined();
  });

  it('every item written carries expiresAt in epoch seconds (rounded up) and the exact ms beside it', async () => {
    const { stores, names } = await freshStores();
    const expiresAt = NOW + 123_456;
    const now = NOW;
    await stores.connections.put({
      connectionId: 'c1', sessionId: 's1', sessionKind: 'clean', claimedQos: 1, format: 'json',
      controllers: ['monitor'], connectedAt: now, expiresAt,
    });
    await stores.connections.openControllers(
      { connectionId: 'c1', sessionId: 's1', sessionKind: 'clean', claimedQos: 1, format: 'json', controllers: ['monitor'], connectedAt: now, expiresAt },
      ['sensor'],
    );
    await stores.connections.putSession({ sessionId: 's1', sessionKind: 'persistent', claimedQos: 1, format: 'json', connectionId: 'c1', expiresAt });
    await stores.subscriptions.put({
      controller: 'monitor', topic: 'temp', sessionId: 's1', connectionId: 'c1', sessionKind: 'clean',
      claimedQos: 1, format: 'json', subscriptionQos: 1, expiresAt,
    });
    const entry = {
      sessionId: 's1', id: 'm1', connectionId: 'c1', sessionKind: 'clean' as const, format: 'json' as const,
      controller: 'monitor', topic: 'temp', data: '', qos: 2 as const, state: 'sent' as const, parked: false,
      attempts: 1, createdAt: now, deadlineAt: now + 1, dueAt: now, expiresAt,
    };
    await stores.pending.putMany([entry]);
    await stores.pending.release(entry, now + 10, now);
    await stores.inbound.putIfAbsent(
      { sessionId: 's1', id: 'c-1', controller: 'sensor', topic: 'temp', data: null, retain: false, messageId: 'x', receivedAt: now, expiresAt },
      now,
    );
    await stores.inbound.claim('s1', 'c-1', now + 30_000, now);
    await stores.retained.put({ controller: 'monitor', topic: 'temp', data: {}, qos: 1, publishedAt: now, expiresAt });
    await stores.deadLetters.put({ entry, reason: 'ttl', deadAt: now, expiresAt });
    await stores.history.append([{ controller: 'sensor', topic: 'temp', data: 25.3, qos: 1, clientId: 's1', receivedAt: now, messageId: 's1:c-2', expiresAt }]);

    let items = 0;
    for (const table of Object.keys(TABLES) as TableName[]) {
      // A Scan in a test only, to see every item; the adapters never Scan.
      const { Items = [] } = await client.send(new ScanCommand({ TableName: names[table] }));
      expect(Items.length).toBeGreaterThan(0);
      for (const item of Items) {
        expect(item.expiresAt, `${table} item`).toEqual({ N: String(Math.ceil(expiresAt / 1000)) });
        expect(item.expiresAtMs, `${table} item`).toEqual({ N: String(expiresAt) });
        items += 1;
      }
    }
    // conn, 2 memberships, session; sub and its session's list; pending entry and its due marker; its body; inbound; retained; dead letter; history record
    expect(items).toBe(3 + 1 + 2 + 2 + 1 + 1 + 1 + 1 + 1);
  });

  it('data is kept as a JSON string attribute', async () => {
    const { stores, names } = await freshStores();
    await stores.retained.put({ controller: 'monitor', topic: 'temp', data: { a: [1, ''] }, qos: 1, publishedAt: NOW, expiresAt: NOW + 1 });
    const { Item } = await client.send(new GetItemCommand({ TableName: names.retained, Key: { topicKey: { S: 'monitor|temp' } } }));
    expect(Item?.data).toEqual({ S: '{"a":[1,""]}' });
  });

  it('membersOf with DynamoDB’s own page size gives 1,200 members complete', async () => {
    const { stores } = await freshStores({});
    const now = NOW;
    const ids = Array.from({ length: 1200 }, (_, i) => `conn-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(
        ids.slice(i, i + 100).map((connectionId) =>
          stores.connections.put({
            connectionId, sessionId: connectionId, sessionKind: 'clean', claimedQos: 1, format: 'json',
            controllers: ['monitor'], connectedAt: now, expiresAt: now + 1000,
          }),
        ),
      );
    }
    const seen: string[] = [];
    for await (const page of stores.connections.membersOf('monitor', now)) seen.push(...page.map((r) => r.connectionId ?? ''));
    expect(seen.sort()).toEqual(ids);
  });

  it('a store whose table was not given throws a clear error on use', () => {
    const stores = createDynamoDbStores(doc, { pending: 'p' }, { resendShards: 2 });
    expect(() => stores.inbound.putIfAbsent({} as never, 0)).toThrow(/inbound table is not configured .*INBOUND_TABLE/);
    expect(() => stores.connections.membersOf('monitor', 0)).toThrow(/CONNECTIONS_TABLE/);
    // Pending entries are references to bodies in `messages`: pending alone is no store.
    expect(() => stores.pending.getMany([], 0)).toThrow(/messages table is not configured .*MESSAGES_TABLE.*cannot call pending\.getMany/);
  });

  it('rounds the TTL up to the next second, so storage never forgets before the domain said', async () => {
    const { stores, names } = await freshStores();
    await stores.retained.put({ controller: 'c', topic: 't', data: 1, qos: 0, publishedAt: NOW, expiresAt: NOW + 1 });
    await stores.retained.put({ controller: 'c', topic: 'u', data: 1, qos: 0, publishedAt: NOW, expiresAt: NOW + 1000 });
    const read = async (topic: string) =>
      (await client.send(new GetItemCommand({ TableName: names.retained, Key: { topicKey: { S: `c|${topic}` } } }))).Item;
    expect((await read('t'))?.expiresAt).toEqual({ N: String(NOW / 1000 + 1) });
    expect((await read('u'))?.expiresAt).toEqual({ N: String(NOW / 1000 + 1) });
  });
});

describe('DynamoDB stores, racing', () => {
  it('attach does not bring back a subscription deleted between its read and its update', async () => {
    const { names } = await freshStores();
    const racingClient = testDynamoDbClient();
    const racingDoc = testDocumentClient(racingClient);
    // Right after attach has read the session's subscriptions, an unsubscribe lands.
    racingDoc.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const read = (args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems?.[names.subscriptions]?.Keys;
        if (read !== undefined && read.length > 0) {
          await client.send(
            new DeleteItemCommand({ TableName: names.subscriptions, Key: { topicKey: { S: 'monitor|temp' }, sessionId: { S: 'dev-7' } } }),
          );
        }
        return result;
      },
      { step: 'initialize', name: 'unsubscribeMeanwhile' },
    );
    const store = new DynamoDbSubscriptionStore(racingDoc, names.subscriptions);
    const now = NOW;
    await store.put({
      controller: 'monitor', topic: 'temp', sessionId: 'dev-7', connectionId: 'c1', sessionKind: 'persistent',
      claimedQos: 1, format: 'json', subscriptionQos: 1, expiresAt: now + 1000,
    });

    await store.attach('dev-7', 'c2', now + 5000, now);

    const { Item } = await client.send(
      new GetItemCommand({ TableName: names.subscriptions, Key: { topicKey: { S: 'monitor|temp' }, sessionId: { S: 'dev-7' } } }),
    );
    expect(Item).toBeUndefined();
    racingClient.destroy();
  });
});
