import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { PendingEntry, PendingKey } from '../../core/types.js';
import type { PendingStore } from '../../ports/pending-store.js';
import { batchGet, batchWrite, runLimited, type BatchOptions } from './batch.js';
import {
  compact,
  expiry,
  fromJson,
  isConditionalCheckFailed,
  isLive,
  itemOfFailedCondition,
  LIVE_FILTER,
  queryAll,
  queryPages,
  toJson,
  type Item,
} from './items.js';

export interface DynamoDbPendingStoreOptions {
  /** Partitions of the byDue index; due() Queries each. Only ever raise it: see dueShardOf. */
  resendShards: number;
  batch?: BatchOptions;
}

/**
 * Pending entries in the `pending` table, keyed (sessionId, id).
 *
 * Item: the entry's fields, `data` as a JSON string, the TTL pair (`expiresAt` seconds,
 * `expiresAtMs`), and `dueShard` (a stable hash of the key, as a string) so the entry sits in
 * the byDue index (dueShard, dueAt). The sweep reads that index per shard with
 * `dueAt <= :now`, so entries not yet due are never read.
 *
 * A completed QoS 2 entry leaves a tombstone: only the key, `done`, and the TTL pair (no dueAt,
 * no dueShard, so it is out of the byDue index). Reads filter it out; putAbsent's condition
 * keeps it; replaceIf, release and deleteIf fail on it as on a missing entry.
 */
export class DynamoDbPendingStore implements PendingStore {
  private readonly shards: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbPendingStoreOptions,
  ) {
    if (!Number.isInteger(options.resendShards) || options.resendShards < 1) {
      throw new Error(`qosgate: resendShards must be a positive integer, got ${options.resendShards}`);
    }
    this.shards = options.resendShards;
  }

  async putMany(entries: PendingEntry[]): Promise<void> {
    // A batch may not name one key twice; the last entry for a key wins, as sequential puts would.
    const byKey = new Map(entries.map((entry) => [keyString(entry), entry]));
    const requests = [...byKey.values()].map((entry) => ({ PutRequest: { Item: this.toItem(entry) } }));
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async putAbsent(entries: PendingEntry[], now: number): Promise<{ stored: PendingEntry[]; existing: PendingEntry[] }> {
    const stored: PendingEntry[] = [];
    const existing: PendingEntry[] = [];
    // One conditional PutItem each (BatchWriteItem takes no conditions); only a re-run pays this.
    await runLimited(distinctEntries(entries), PUT_CONCURRENCY, async (entry) => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: this.toItem(entry),
            // An expired item storage has not deleted yet counts as absent; a live tombstone does not.
            ConditionExpression: 'attribute_not_exists(sessionId) OR expiresAtMs < :now',
            ExpressionAttributeValues: { ':now': now },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        stored.push(entry);
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const old = itemOfFailedCondition(error);
        if (old !== undefined && old.done !== true) existing.push(fromItem(old));
      }
    });
    return { stored, existing };
  }

  async complete(entries: PendingEntry[]): Promise<void> {
    const requests = [...new Map(entries.map((entry) => [keyString(entry), entry])).values()].map((entry) =>
      entry.qos === 2
        ? { PutRequest: { Item: tombstone(entry, entry.deadlineAt) } }
        : { DeleteRequest: { Key: keyOf(entry) } },
    );
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async getMany(keys: PendingKey[], now: number): Promise<PendingEntry[]> {
    const distinct = distinctKeys(keys);
    const items = await batchGet(this.doc, this.tableName, distinct.map(keyOf), this.options.batch);
    const found = new Map(items.filter((item) => isLive(item, now) && item.done !== true).map((item) => [keyString(item as PendingKey), item]));
    // BatchGetItem answers in any order; give entries back in the order they were asked for.
    return distinct.flatMap((key) => {
      const item = found.get(keyString(key));
      return item ? [fromItem(item)] : [];
    });
  }

  async deleteMany(keys: PendingKey[]): Promise<void> {
    const requests = distinctKeys(keys).map((key) => ({ DeleteRequest: { Key: keyOf(key) } }));
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async ofSession(sessionId: string, now: number): Promise<PendingEntry[]> {
    return (await queryAll(this.doc, this.liveOfSession(sessionId, now))).map(fromItem);
  }

  async *pagesOfSession(sessionId: string, now: number, pageSize: number): AsyncIterable<PendingEntry[]> {
    for await (const items of queryPages(this.doc, { ...this.liveOfSession(sessionId, now), Limit: pageSize })) yield items.map(fromItem);
  }

  /** The Query for a session's live entries, in id order, strongly consistent. */
  private liveOfSession(sessionId: string, now: number): QueryCommandInput {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'sessionId = :s',
      FilterExpression: `${LIVE_FILTER} AND attribute_not_exists(done)`,
      ExpressionAttributeValues: { ':s': sessionId, ':now': now },
      ConsistentRead: true,
    };
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    // Expired entries go too: nothing of the session should outlive it.
    const keys = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'sessionId = :s',
      ProjectionExpression: 'sessionId, id',
      ExpressionAttributeValues: { ':s': sessionId },
      ConsistentRead: true,
    });
    await this.deleteMany(keys as PendingKey[]);
  }

  /**
   * Each shard holds its entries sorted by dueAt, so a Query per shard reads only what is due,
   * oldest first; a shard can hold all of the `limit` oldest, so each is asked for up to `limit`.
   * The index is KEYS_ONLY: it cannot tell an expired entry, so the caller's getMany does.
   */
  async due(now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>> {
    if (limit <= 0) return [];
    const found: Array<PendingKey & { dueAt: number }> = [];
    const shards = Array.from({ length: this.shards }, (_, shard) => String(shard));
    await runLimited(shards, this.shards, async (shard) => {
      let startKey: Item | undefined;
      let read = 0;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'byDue',
            KeyConditionExpression: 'dueShard = :s AND dueAt <= :now',
            ExpressionAttributeValues: { ':s': shard, ':now': now },
            Limit: limit - read,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          found.push({ sessionId: item.sessionId as string, id: item.id as string, dueAt: item.dueAt as number });
        }
        read += page.Items?.length ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && read < limit);
    });
    return found.sort(byDueThenKey).slice(0, limit);
  }

  async deleteExpired(keys: PendingKey[], now: number): Promise<number> {
    let deleted = 0;
    await runLimited(distinctKeys(keys), PUT_CONCURRENCY, async (key) => {
      try {
        await this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            ConditionExpression: 'expiresAtMs < :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        deleted += 1;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
    return deleted;
  }

  async replaceIf(entry: PendingEntry, expectedDueAt: number, expectedConnectionId?: string): Promise<PendingEntry | undefined> {
    // A missing item (or a tombstone) has no dueAt, so this also keeps replaceIf from
    // recreating it; only a dead-letter lease may replace a dead-letter lease.
    const conditions = ['dueAt = :expected'];
    if (!entry.deadLettering) conditions.push('attribute_not_exists(deadLettering)');
    if (expectedConnectionId !== undefined) conditions.push('connectionId = :connectionId');
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.toItem(entry),
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeValues: {
            ':expected': expectedDueAt,
            ...(expectedConnectionId !== undefined ? { ':connectionId': expectedConnectionId } : {}),
          },
        }),
      );
      return fromItem(this.toItem(entry));
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async release(
    key: PendingKey,
    dueAt: number,
    now: number,
  ): Promise<{ result: 'released' | 'already-released'; entry: PendingEntry } | { result: 'missing' | 'not-qos2' }> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          // The pubrel is sent right after this, so it is the released step's first attempt.
          UpdateExpression: 'SET #state = :released, attempts = :one, dueAt = :dueAt',
          ConditionExpression: 'attribute_exists(sessionId) AND expiresAtMs >= :now AND qos = :two AND #state = :sent',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':released': 'released',
            ':sent': 'sent',
            ':one': 1,
            ':two': 2,
            ':dueAt': dueAt,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { result: 'released', entry: fromItem(out.Attributes as Item) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const old = itemOfFailedCondition(error);
      // A tombstone is a completed entry: as good as missing.
      if (old === undefined || !isLive(old, now) || old.done === true) return { result: 'missing' };
      if (old.qos !== 2) return { result: 'not-qos2' };
      // A repeated pubrec: the entry stays as the first one left it.
      return { result: 'already-released', entry: fromItem(old) };
    }
  }

  async deleteIf(key: PendingKey, expectedDueAt: number, tombstoneUntil?: number): Promise<boolean> {
    const condition = { ConditionExpression: 'dueAt = :expected', ExpressionAttributeValues: { ':expected': expectedDueAt } };
    try {
      if (tombstoneUntil === undefined) await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keyOf(key), ...condition }));
      else await this.doc.send(new PutCommand({ TableName: this.tableName, Item: tombstone(key, tombstoneUntil), ...condition }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private toItem(entry: PendingEntry): Item {
    return compact({
      ...entry,
      data: toJson(entry.data),
      ...expiry(entry.expiresAt),
      dueShard: dueShardOf(entry, this.shards),
    });
  }
}

/**
 * The entry's shard of the byDue index: FNV-1a of the key, so it never changes for an entry.
 * Raising the shard count later is safe (old entries stay in shards still Queried); lowering it
 * would strand the entries of the shards dropped.
 */
export function dueShardOf(key: PendingKey, shards: number): string {
  let hash = 0x811c9dc5;
  const text = `${key.sessionId}\u0000${key.id}`;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash % shards);
}

function fromItem(item: Item): PendingEntry {
  return compact<PendingEntry>({
    sessionId: item.sessionId,
    id: item.id,
    connectionId: item.connectionId,
    sessionKind: item.sessionKind,
    format: item.format,
    controller: item.controller,
    topic: item.topic,
    data: fromJson(item.data),
    qos: item.qos,
    retained: item.retained,
    state: item.state,
    parked: item.parked,
    held: item.held,
    sent: item.sent,
    deadLettering: item.deadLettering,
    attempts: item.attempts,
    createdAt: item.createdAt,
    deadlineAt: item.deadlineAt,
    dueAt: item.dueAt,
    expiresAt: item.expiresAtMs,
  });
}

/** What is left of a completed (or dead-lettered) QoS 2 entry: out of the byDue index, ignored by reads. */
function tombstone(key: PendingKey, until: number): Item {
  return { ...keyOf(key), done: true, ...expiry(until) };
}

function keyOf(key: PendingKey): Item {
  return { sessionId: key.sessionId, id: key.id };
}

function keyString(key: PendingKey): string {
  return `${key.sessionId}\u0000${key.id}`;
}

/** Conditional writes in flight at once (putAbsent, deleteExpired). */
const PUT_CONCURRENCY = 16;

/** The last entry for each key, as putMany keeps it. */
function distinctEntries(entries: PendingEntry[]): PendingEntry[] {
  return [...new Map(entries.map((entry) => [keyString(entry), entry])).values()];
}

function distinctKeys(keys: PendingKey[]): PendingKey[] {
  return [...new Map(keys.map((key) => [keyString(key), { sessionId: key.sessionId, id: key.id }])).values()];
}

function byDueThenKey(a: PendingKey & { dueAt: number }, b: PendingKey & { dueAt: number }): number {
  return a.dueAt - b.dueAt || compareStrings(a.sessionId, b.sessionId) || compareStrings(a.id, b.id);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
