import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { readPolicy } from '../lambdas/config.js';
import { productionDeps } from '../lambdas/entry/wiring.js';
import { ROUTES } from '../lambdas/routes.js';
import { BenchSocket } from './client.js';
import type { RuntimeHost } from './host.js';
import { perDelivery, type PerDelivery } from './cost.js';
import { publishFrame } from './scenarios.js';

/**
 * Fan-out of one QoS 1 publish to N sessions (100,000 in the full run) that have no socket:
 * they are stored in DynamoDB Local directly, and a counting management endpoint
 * (bench/counting-management-api.ts, the runtime host's `countingPrefix`) answers their posts.
 *
 * The sessions are stored as real connect and subscribe store them: one session is written
 * through the real stores (ConnectionStore.put, SubscriptionStore.put, with the Subscribe
 * function's own wiring), every item that wrote is read back, and each of the others gets
 * copies with its own id in place of that one's, written with BatchWriteItem. So whatever item
 * layout the adapters have, the copies have it too.
 *
 * Measured: how many distinct sessions were posted and how many pending entries are stored
 * (both should be N: "handed on completely"), the longest single invocation during the case
 * against its function's timeout (issue 13: no invocation past half its timeout), and the time
 * from the publish to the last post. Whether the fan-out runs in the publish's invocation or in
 * page jobs on a queue, these are counted the same way.
 */
export interface StoredFanoutResult {
  sessions: number;
  /** Items written per session (what connect and subscribe stored for the template session). */
  itemsPerSession: number;
  seedSeconds: number;
  /** Distinct counted connections posted a `message`, posts in all, and connections posted more than once. */
  distinctPosted: number;
  posts: number;
  postedMoreThanOnce: number;
  /** Pending entries stored for the N sessions after the case. */
  pendingStored: number;
  /** Publish -> the publisher's msgack (durably accepted), if it came. */
  publishToAckMs: number | null;
  /** Publish -> the last counted post. */
  totalMs: number;
  /** Whether every session was posted and has its pending entry. */
  complete: boolean;
  /** The longest single invocation during the case, its function and that function's timeout. */
  longest: { functionId: string; durationMs: number; timeoutSeconds: number } | null;
  /** Invocations during the case by function id. */
  invocations: Record<string, number>;
  /** Errors the publisher got (e.g. an integration timeout). */
  publisherErrors: string[];
  perDelivery: PerDelivery;
}

const SUBSCRIBE = ROUTES.find((r) => r.id === 'Subscribe');

/** BatchWriteItem requests in flight while the sessions are stored. */
const SEED_WRITERS = 12;

/** Stores N sessions subscribed to `topic`, publishes once at QoS 1, and counts the hand-on. */
export async function storedFanout(
  host: RuntimeHost,
  sessions: number,
  log: (line: string) => void,
  limits: { quietMs?: number; totalMs?: number } = {},
): Promise<StoredFanoutResult> {
  // A page retried after its visibility timeout can leave minutes without a post; past these the case reports what it got.
  const giveUpAfterQuietMs = limits.quietMs ?? 180_000;
  const giveUpAfterMs = limits.totalMs ?? 30 * 60_000;
  const prefix = host.ready.counting?.prefix;
  if (!prefix) throw new Error('the stored fan-out needs a runtime host with a counting management endpoint (countingPrefix)');
  if (!SUBSCRIBE) throw new Error('no Subscribe function in the route table');
  const env = host.ready.environments[SUBSCRIBE.id];
  if (!env) throw new Error('no Subscribe function in the template');
  const client = new DynamoDBClient({
    endpoint: host.ready.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: SEED_WRITERS + 4 }) },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const topic = `stored-fanout-${Date.now()}`;
  const idOf = (i: number) => `${prefix}${String(i).padStart(7, '0')}`;
  try {
    const seedStarted = performance.now();
    const itemsPerSession = await seedSessions(client, env, topic, sessions, idOf, log);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`  stored fan-out: ${sessions} sessions stored (${itemsPerSession} items each) in ${seedSeconds.toFixed(1)} s`);

    const publisher = await BenchSocket.connect(host.ready.url, { qos: '1' });
    await publisher.request(publishFrame(`${topic}-warm`, 1, -1, 'warm'), (f) => f.type === 'msgack');
    const before = await host.settle(300);
    const durationsBefore = await host.durations();
    const publisherErrors: string[] = [];
    let ackedAt: number | null = null;
    publisher.onFrame = (f) => {
      if (f.type === 'msgack' && f.id === 'stored-1') ackedAt ??= Date.now();
      else if (f.type === 'error' || f.message !== undefined) publisherErrors.push(JSON.stringify(f));
    };
    const publishedAt = Date.now();
    publisher.send(publishFrame(topic, 1, 1, 'stored-1'));

    // Until every session is posted, or nothing more is posted for a while and the runtime is idle.
    let lastCount = -1;
    let lastChange = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const stats = await host.counting();
      const messages = stats.byType.message ?? 0;
      if (messages !== lastCount) {
        if (Math.floor(messages / 10_000) !== Math.floor(Math.max(0, lastCount) / 10_000)) log(`  stored fan-out: ${stats.distinct} of ${sessions} posted`);
        lastCount = messages;
        lastChange = Date.now();
      }
      if (stats.distinct >= sessions && (ackedAt !== null || Date.now() - lastChange > 10_000)) break;
      if (Date.now() - lastChange > giveUpAfterQuietMs || Date.now() - publishedAt > giveUpAfterMs) {
        log(`  stored fan-out: gave up waiting with ${stats.distinct} of ${sessions} posted`);
        break;
      }
    }
    const after = await host.settle(1000, 600_000);
    const durationsAfter = await host.durations();
    const stats = await host.counting();
    const pendingStored = await countPending(doc, env.PENDING_TABLE as string, prefix);
    await publisher.close();

    const invocations: Record<string, number> = {};
    let longest: StoredFanoutResult['longest'] = null;
    for (const [id, list] of Object.entries(durationsAfter)) {
      const fresh = list.slice(durationsBefore[id]?.length ?? 0);
      if (fresh.length === 0) continue;
      invocations[id] = fresh.length;
      const max = Math.max(...fresh);
      if (!longest || max > longest.durationMs) longest = { functionId: id, durationMs: Math.round(max), timeoutSeconds: host.ready.functions[id]?.timeoutSeconds ?? NaN };
    }
    const distinctPosted = stats.distinct;
    return {
      sessions,
      itemsPerSession,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      distinctPosted,
      posts: stats.posts,
      postedMoreThanOnce: stats.postedMoreThanOnce,
      pendingStored,
      publishToAckMs: ackedAt === null ? null : ackedAt - publishedAt,
      totalMs: stats.lastPostAt !== undefined ? stats.lastPostAt - publishedAt : NaN,
      complete: distinctPosted === sessions && pendingStored === sessions,
      longest,
      invocations,
      publisherErrors: publisherErrors.slice(0, 5),
      perDelivery: perDelivery(before.counters, after.counters, distinctPosted),
    };
  } finally {
    client.destroy();
  }
}

/**
 * Stores session 0 through the real stores, reads back every item that wrote (the tables hold
 * nothing else of its id), and writes a copy of each for sessions 1..N-1. Returns the items per session.
 */
export async function seedSessions(
  client: DynamoDBClient,
  env: Record<string, string>,
  topic: string,
  sessions: number,
  idOf: (i: number) => string,
  log: (line: string) => void = () => {},
): Promise<number> {
  if (!SUBSCRIBE) throw new Error('no Subscribe function in the route table');
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const deps = productionDeps(SUBSCRIBE, env, { dynamodb: client, log: { info: () => {}, warn: () => {}, error: () => {} } });
  const policy = readPolicy(env);
  const now = Date.now();
  const template = idOf(0);
  await deps.stores.connections.put({
    connectionId: template,
    sessionId: template,
    sessionKind: 'clean',
    claimedQos: 1,
    format: 'json',
    controllers: ['monitor'],
    connectedAt: now,
    expiresAt: now + policy.connectionTtlMs,
  });
  await deps.stores.subscriptions.put({
    sessionId: template,
    connectionId: template,
    sessionKind: 'clean',
    claimedQos: 1,
    format: 'json',
    subscriptionQos: 1,
    controller: 'monitor',
    topic,
    expiresAt: now + policy.connectionTtlMs,
  });
  const tables = [env.CONNECTIONS_TABLE, env.SUBSCRIPTIONS_TABLE].filter((t): t is string => typeof t === 'string' && t !== '');
  const written: Array<{ table: string; item: Record<string, NativeAttributeValue> }> = [];
  for (const table of tables) {
    for (const item of await scanAll(doc, table)) if (mentions(item, template)) written.push({ table, item });
  }
  if (written.length === 0) throw new Error('the real stores wrote nothing for the template session');
  // Copy j of all (sessions - 1) x written.length is item j % written.length for session 1 + j / written.length;
  // SEED_WRITERS BatchWriteItems of 25 in flight, each writer taking the next 25 copies.
  const copies = (sessions - 1) * written.length;
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: SEED_WRITERS }, async () => {
      while (next < copies) {
        const from = next;
        next = Math.min(copies, next + 25);
        const chunk = Array.from({ length: next - from }, (_, c) => {
          const j = from + c;
          const { table, item } = written[j % written.length] as (typeof written)[number];
          return { table, item: substitute(item, template, idOf(1 + Math.floor(j / written.length))) as Record<string, NativeAttributeValue> };
        });
        await writeChunk(doc, chunk);
        const before = done;
        done += chunk.length;
        if (Math.floor(done / written.length / 20_000) > Math.floor(before / written.length / 20_000)) log(`  stored fan-out: ${Math.floor(done / written.length)} of ${sessions} sessions stored`);
      }
    }),
  );
  return written.length;
}

async function writeChunk(doc: DynamoDBDocumentClient, chunk: Array<{ table: string; item: Record<string, NativeAttributeValue> }>): Promise<void> {
  let requestItems: Record<string, Array<{ PutRequest: { Item: Record<string, NativeAttributeValue> } }>> = {};
  for (const { table, item } of chunk) (requestItems[table] ??= []).push({ PutRequest: { Item: item } });
  for (let attempt = 0; Object.keys(requestItems).length > 0; attempt += 1) {
    if (attempt > 20) throw new Error('BatchWriteItem kept items unprocessed while seeding the stored fan-out');
    const out = await doc.send(new BatchWriteCommand({ RequestItems: requestItems }));
    requestItems = (out.UnprocessedItems ?? {}) as typeof requestItems;
    if (Object.keys(requestItems).length > 0) await new Promise((r) => setTimeout(r, 25 * (attempt + 1)));
  }
}

async function scanAll(doc: DynamoDBDocumentClient, table: string): Promise<Array<Record<string, NativeAttributeValue>>> {
  const items: Array<Record<string, NativeAttributeValue>> = [];
  let start: Record<string, NativeAttributeValue> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Pending entries of the counted sessions (their sessionId starts with the prefix; due markers and others do not). */
async function countPending(doc: DynamoDBDocumentClient, table: string, prefix: string): Promise<number> {
  let count = 0;
  let start: Record<string, NativeAttributeValue> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 'begins_with(sessionId, :p)',
        ExpressionAttributeValues: { ':p': prefix },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/** Whether any string in the item (sets and lists included) contains `id`. */
function mentions(value: unknown, id: string): boolean {
  if (typeof value === 'string') return value.includes(id);
  if (value instanceof Set) return [...value].some((v) => mentions(v, id));
  if (Array.isArray(value)) return value.some((v) => mentions(v, id));
  if (value && typeof value === 'object') return Object.values(value).some((v) => mentions(v, id));
  return false;
}

/** The value with every occurrence of `from` in its strings replaced by `to`. */
export function substitute(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (value instanceof Set) return new Set([...value].map((v) => substitute(v, from, to)));
  if (Array.isArray(value)) return value.map((v) => substitute(v, from, to));
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, from, to)]));
  }
  return value;
}
