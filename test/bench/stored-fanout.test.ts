import { beforeAll, describe, expect, it } from 'vitest';
import { createTables, prefixedTableNames } from '../../lambdas/adapters/dynamodb/create-tables.js';
import { createDynamoDbStores } from '../../lambdas/adapters/dynamodb/index.js';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import { CALLBACK_URL_ENV } from '../../lambdas/config.js';
import { seedSessions, substitute } from '../../bench/stored-fanout.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../support/dynamodb.js';

/**
 * The stored fan-out's sessions, on DynamoDB Local: written as copies of what the real stores
 * wrote for one session, they read back through the real stores as sessions connect and
 * subscribe would have made.
 */
describe('seedSessions', () => {
  const client = testDynamoDbClient();
  const names = prefixedTableNames(uniquePrefix('stored-fanout'));
  const env: Record<string, string> = {
    ...Object.fromEntries((Object.keys(TABLES) as TableName[]).map((t) => [TABLES[t].envVar, names[t]])),
    [CALLBACK_URL_ENV]: 'http://127.0.0.1:9/test',
  };
  const idOf = (i: number) => `benchstored${String(i).padStart(7, '0')}`;
  const stores = createDynamoDbStores(testDocumentClient(client), names, { resendShards: 1 });
  let itemsPerSession = 0;

  beforeAll(async () => {
    await createTables(client, names);
    itemsPerSession = await seedSessions(client, env, 'news', 60, idOf);
  });

  it('stores every session as a subscriber of the topic, found by the fan-out Query', async () => {
    const found: string[] = [];
    for await (const page of stores.subscriptions.subscribersOf('monitor', 'news', Date.now())) found.push(...page.map((r) => `${r.sessionId}/${r.connectionId}/${r.subscriptionQos}`));
    expect(found.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `${idOf(i)}/${idOf(i)}/1`));
  });

  it('gives each copy its own session list, connection record and controller membership', async () => {
    const now = Date.now();
    expect(itemsPerSession).toBeGreaterThanOrEqual(3);
    const last = idOf(59);
    expect((await stores.subscriptions.ofSession(last, now)).map((s) => [s.sessionId, s.topic])).toEqual([[last, 'news']]);
    expect(await stores.connections.get(last, now)).toMatchObject({ connectionId: last, sessionId: last, controllers: ['monitor'] });
    const members: string[] = [];
    for await (const page of stores.connections.membersOf('monitor', now)) members.push(...page.map((r) => r.connectionId as string));
    expect(members).toContain(last);
    expect(members).toHaveLength(60);
  });
});

describe('substitute', () => {
  it('replaces the id in strings, sets, lists and nested maps, and leaves numbers alone', () => {
    const item = { pk: 'conn#a1', sk: 'conn', n: 5, set: new Set(['session#a1', 'x']), list: ['a1'], map: { id: 'a1' } };
    expect(substitute(item, 'a1', 'b22')).toEqual({ pk: 'conn#b22', sk: 'conn', n: 5, set: new Set(['session#b22', 'x']), list: ['b22'], map: { id: 'b22' } });
  });
});
