import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from './items.js';

/**
 * BatchWriteItem and BatchGetItem in the chunk sizes DynamoDB accepts (25 writes, 100 keys),
 * retrying what DynamoDB hands back unprocessed (it does so under throttling, and the SDK's
 * own retries do not cover it) with a short, bounded, jittered backoff.
 *
 *   chunk --> send --> unprocessed? --sleep(25 ms, 50, 100 ...)--> send the rest --> ...
 *                                   after maxRetries: UnprocessedItemsError
 */

/** Most requests BatchWriteItem takes at once. */
export const WRITE_CHUNK = 25;
/** Most keys BatchGetItem takes at once. */
export const GET_CHUNK = 100;
/** Chunks in flight at once: a fan-out of hundreds of entries should not wait on each in turn. */
const CONCURRENCY = 4;

/** One put or delete of a BatchWriteItem, as the DocumentClient takes it. */
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/** The retry of unprocessed items; the defaults suit a Lambda, tests inject `sleep`. */
export interface BatchOptions {
  /** Retries of a chunk's unprocessed rest after the first send (default 6: about 1.6 s at most). */
  maxRetries?: number;
  /** Pause before the first retry, doubled for each next one (default 25 ms). */
  baseDelayMs?: number;
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** Some items or keys were still unprocessed after every retry. Nothing was lost silently. */
export class UnprocessedItemsError extends Error {
  override readonly name = 'UnprocessedItemsError';

  constructor(
    readonly operation: 'BatchWriteItem' | 'BatchGetItem',
    readonly tableName: string,
    readonly unprocessed: number,
    attempts: number,
  ) {
    super(`qosgate: ${operation} on ${tableName} left ${unprocessed} item(s) unprocessed after ${attempts} attempts`);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Writes (puts and deletes) in chunks of 25. The requests must not name one key twice. */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  options: BatchOptions = {},
): Promise<void> {
  await batchWriteTables(doc, requests.map((request) => ({ table: tableName, request })), options);
}

/** One write of a BatchWriteItem that spans tables. */
export interface TableWrite {
  table: string;
  request: WriteRequest;
}

/**
 * Writes to several tables in the same BatchWriteItem requests (25 writes each, whatever the
 * tables). The requests must not name one key of one table twice.
 */
export async function batchWriteTables(doc: DynamoDBDocumentClient, writes: TableWrite[], options: BatchOptions = {}): Promise<void> {
  const tables = [...new Set(writes.map((write) => write.table))].join(', ');
  await runLimited(chunk(writes, WRITE_CHUNK), CONCURRENCY, async (part) => {
    await withRetries('BatchWriteItem', tables, part, options, async (pending) => {
      const requestItems: Record<string, WriteRequest[]> = {};
      for (const { table, request } of pending) (requestItems[table] ??= []).push(request);
      const out = await doc.send(new BatchWriteCommand({ RequestItems: requestItems }));
      return Object.entries(out.UnprocessedItems ?? {}).flatMap(([table, requests]) =>
        (requests as WriteRequest[]).map((request) => ({ table, request })),
      );
    });
  });
}

/**
 * Reads items by key in chunks of 100, in no particular order. The keys must be distinct;
 * keys without an item are simply not in the result.
 */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: Item[],
  options: BatchOptions & { consistentRead?: boolean; attributes?: string[] } = {},
): Promise<Item[]> {
  const found: Item[] = [];
  // Only the attributes asked for (by placeholder: any name may be a reserved word); the units read are the same.
  const names = options.attributes?.map((name, i) => [`#a${i}`, name] as const);
  const projection = names ? { ProjectionExpression: names.map(([p]) => p).join(', '), ExpressionAttributeNames: Object.fromEntries(names) } : {};
  await runLimited(chunk(keys, GET_CHUNK), CONCURRENCY, async (part) => {
    await withRetries('BatchGetItem', tableName, part, options, async (pending) => {
      const out = await doc.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: pending, ConsistentRead: options.consistentRead ?? true, ...projection } },
        }),
      );
      found.push(...(out.Responses?.[tableName] ?? []));
      return out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    });
  });
  return found;
}

/** Sends, then sends what came back unprocessed, until nothing is left or the retries run out. */
async function withRetries<T>(
  operation: 'BatchWriteItem' | 'BatchGetItem',
  tableName: string,
  first: T[],
  options: BatchOptions,
  send: (pending: T[]) => Promise<T[]>,
): Promise<void> {
  const maxRetries = options.maxRetries ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 25;
  const sleep = options.sleep ?? defaultSleep;
  let pending = first;
  for (let attempt = 0; ; attempt += 1) {
    pending = await send(pending);
    if (pending.length === 0) return;
    if (attempt >= maxRetries) throw new UnprocessedItemsError(operation, tableName, pending.length, attempt + 1);
    // Jitter (half the ceiling, plus up to the other half) keeps Lambdas throttled together from retrying in step.
    const ceiling = baseDelayMs * 2 ** attempt;
    await sleep(Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
  }
}

/** Consecutive slices of at most `size` items. */
export function chunk<T>(items: T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/**
 * Runs `work` on every item with at most `limit` in flight; stops taking new items after the
 * first failure and rejects with it once the ones in flight have settled.
 */
export async function runLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
