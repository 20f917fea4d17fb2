import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { PendingEntry, PendingKey } from '../../core/types.js';
import type { PendingStore } from '../../ports/pending-store.js';
import { batchGet, batchWrite, batchWriteTables, runLimited, type BatchOptions } from './batch.js';
import { mayWaitUnlisted } from '../../core/pending.js';
import { AckRecords } from './ack-records.js';
import { DueMarkers, isCoveredByMarker } from './due-markers.js';
import { idTimeOf, ReferenceMarks } from './reference-marks.js';
import { compact, expiry, isConditionalCheckFailed, isLive, itemOfFailedCondition, LIVE_FILTER, queryAll, queryPages, type Item } from './items.js';
import { MessageBodies } from './message-bodies.js';
import {
  bodyKeysOf,
  dueShardOf,
  entriesOf,
  fromItem,
  isReference,
  keyOf,
  keyString,
  OPTIONAL_FIELDS,
  referenceItem,
  tombstone,
} from './pending-items.js';

export { dueShardOf } from './pending-items.js';

export interface DynamoDbPendingStoreOptions {
  /** Partitions of the byDue index (and of the due markers); due() Queries each. Only ever raise it: see dueShardOf. */
  resendShards: number;
  /** The `messages` table, where the entries' bodies are (MESSAGES_TABLE). */
  messagesTable: string;
  batch?: BatchOptions;
  /** How many written bodies the store remembers, so a fan-out's pages write a body once (default 10,000). */
  rememberBodies?: number;
  /**
   * Where putFirstSends keeps a fan-out's first sends (FIRST_SENDS; docs/architecture.md
   * "Sparse first sends"): `reference` (the default) writes each its reference item, as putMany
   * does, and an ack deletes it; `marker` writes only the due marker, and an ack writes one
   * record per frame instead of a delete per id.
   */
  firstSends?: FirstSendsMode;
}

export type FirstSendsMode = 'reference' | 'marker';

/**
 * Pending entries in the `pending` table, keyed (sessionId, id), their bodies in `messages`.
 *
 * Item (pending-items.ts): a reference, i.e. the entry's fields without `data`, the TTL pair
 * (`expiresAt` seconds, `expiresAtMs`) and, unless a due marker covers it, `dueShard` (a stable
 * hash of the key, as a string) so the entry sits in the byDue index (dueShard, dueAt). Its
 * body is written once per delivery (message-bodies.ts) and joined back on every read, so the
 * port's entries come back whole. Items of the old layout (data inline) are read as they are.
 *
 * Resend index: putMany leaves a fan-out's first sends out of byDue and writes due markers
 * instead (due-markers.ts); every other write sets dueShard. due() promotes the entries of due
 * markers into the index and reads the index per shard with `dueAt <= :now`, so entries not
 * yet due are never read.
 *
 * A completed QoS 2 entry leaves a tombstone: only the key, `done`, and the TTL pair (no dueAt,
 * no dueShard, so it is out of the byDue index). Reads filter it out; putAbsent's condition
 * keeps it; replaceIf, release, deleteIf and promotion fail on it as on a missing entry.
 */
export class DynamoDbPendingStore implements PendingStore {
  private readonly shards: number;
  private readonly bodies: MessageBodies;
  private readonly markers: DueMarkers;
  /** Set with `firstSends: marker`: the ack records and the sessions' reference marks. */
  private readonly unlisted?: { acks: AckRecords; marks: ReferenceMarks };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbPendingStoreOptions,
  ) {
    if (!Number.isInteger(options.resendShards) || options.resendShards < 1) {
      throw new Error(`qosgate: resendShards must be a positive integer, got ${options.resendShards}`);
    }
    if (typeof options.messagesTable !== 'string' || options.messagesTable === '') {
      throw new Error('qosgate: the pending store needs the messages table, where the bodies are (MESSAGES_TABLE)');
    }
    this.shards = options.resendShards;
    this.bodies = new MessageBodies(doc, options.messagesTable, { batch: options.batch, remember: options.rememberBodies });
    if (options.firstSends !== undefined && options.firstSends !== 'reference' && options.firstSends !== 'marker') {
      throw new Error(`qosgate: firstSends must be reference or marker, got ${JSON.stringify(options.firstSends)}`);
    }
    // The markers of unlisted first sends are processed in either layout: a stack switched back
    // to `reference` still has some until they are due.
    const unlisted = { acks: new AckRecords(doc, tableName), marks: new ReferenceMarks(doc, tableName) };
    if (options.firstSends === 'marker') this.unlisted = unlisted;
    this.markers = new DueMarkers(doc, tableName, this.shards, options.batch, unlisted);
  }

  /**
   * `reference`: one putMany of all. `marker`: the first sends get their body and their due marker
   * only (one BatchWriteItem round, no item per recipient); the others go to putMany meanwhile.
   */
  async putFirstSends(firstSends: PendingEntry[], others: PendingEntry[] = []): Promise<void> {
    if (this.unlisted === undefined) return this.putMany([...firstSends, ...others]);
    const first = distinctEntries(firstSends).filter(mayWaitUnlisted);
    const rest = [...firstSends.filter((entry) => !mayWaitUnlisted(entry)), ...others];
    await Promise.all([this.writeBodiesAndMarkers(first, this.markers.unlistedItemsFor(first)), rest.length > 0 ? this.putMany(rest) : undefined]);
  }

  /** One BatchWriteItem round across both tables: the entries' bodies not written recently, and the markers. */
  private async writeBodiesAndMarkers(entries: PendingEntry[], markers: Item[]): Promise<void> {
    const bodies = this.bodies.writesFor(entries);
    await batchWriteTables(
      this.doc,
      [...bodies.requests.map((request) => ({ table: this.bodies.tableName, request })), ...markers.map((Item) => ({ table: this.tableName, request: { PutRequest: { Item } } }))],
      this.options.batch,
    );
    bodies.written();
  }

  /**
   * `reference`: deleteMany. `marker`: one BatchWriteItem of the frame's ack record (what the due
   * markers of unlisted first sends are checked against) and a delete of each id no newer than
   * the session's reference mark (only those can have a reference item); the mark is one
   * strongly consistent GetItem.
   */
  async acknowledge(sessionId: string, ids: string[], now: number): Promise<void> {
    const unique = [...new Set(ids)];
    if (this.unlisted === undefined) return this.deleteMany(unique.map((id) => ({ sessionId, id })));
    if (unique.length === 0) return;
    const until = await this.unlisted.marks.until(sessionId, now);
    const referenced = unique.filter((id) => {
      const time = idTimeOf(id);
      return time === undefined || time <= until;
    });
    await batchWrite(
      this.doc,
      this.tableName,
      [{ PutRequest: { Item: this.unlisted.acks.item(sessionId, unique, now) } }, ...referenced.map((id) => ({ DeleteRequest: { Key: keyOf({ sessionId, id }) } }))],
      this.options.batch,
    );
  }

  /**
   * Two BatchWriteItem rounds: first the bodies not written recently and the due markers, then
   * the references. So no reference is ever there without its body, nor a covered one without
   * its marker: a failure between the two leaves only a body (TTL takes it) and markers whose
   * entries are missing (skipped when due).
   */
  async putMany(entries: PendingEntry[]): Promise<void> {
    // A batch may not name one key twice; the last entry for a key wins, as sequential puts would.
    const distinct = distinctEntries(entries);
    const covered = distinct.filter(isCoveredByMarker);
    await Promise.all([
      this.writeBodiesAndMarkers(distinct, this.markers.itemsFor(covered)),
      // `marker`: before any QoS 1 reference is written, acks of its id must know to delete it.
      this.unlisted?.marks.cover(distinct),
    ]);
    const references = distinct.map((entry) => {
      const dueShard = isCoveredByMarker(entry) ? undefined : this.dueShard(entry);
      return { PutRequest: { Item: referenceItem(entry, dueShard) } };
    });
    await batchWrite(this.doc, this.tableName, references, this.options.batch);
  }

  async putAbsent(entries: PendingEntry[], now: number): Promise<{ stored: PendingEntry[]; existing: PendingEntry[] }> {
    const distinct = distinctEntries(entries);
    // Bodies first, so no reference is there without its body (most are remembered: no write).
    await Promise.all([this.bodies.write(distinct), this.unlisted?.marks.cover(distinct)]);
    const stored: PendingEntry[] = [];
    const existingItems: Item[] = [];
    // One conditional PutItem each (BatchWriteItem takes no conditions); only a re-run pays this.
    await runLimited(distinct, PUT_CONCURRENCY, async (entry) => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            // Indexed, no marker: a re-run is rare, and its entries may already be late.
            Item: referenceItem(entry, this.dueShard(entry)),
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
        if (old !== undefined && old.done !== true) existingItems.push(old);
      }
    });
    return { stored, existing: await this.withBodies(existingItems) };
  }

  async complete(entries: PendingEntry[]): Promise<void> {
    const requests = distinctEntries(entries).map((entry) =>
      entry.qos === 2
        ? { PutRequest: { Item: tombstone(entry, entry.deadlineAt) } }
        : { DeleteRequest: { Key: keyOf(entry) } },
    );
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async getMany(keys: PendingKey[], now: number): Promise<PendingEntry[]> {
    const distinct = distinctKeys(keys);
    const items = await batchGet(this.doc, this.tableName, distinct.map(keyOf), this.options.batch);
    const live = items.filter((item) => isLive(item, now) && item.done !== true);
    const found = new Map((await this.withBodies(live)).map((entry) => [keyString(entry), entry]));
    // BatchGetItem answers in any order; give entries back in the order they were asked for.
    return distinct.flatMap((key) => {
      const entry = found.get(keyString(key));
      return entry ? [entry] : [];
    });
  }

  async deleteMany(keys: PendingKey[]): Promise<void> {
    // References only: the bodies go by TTL (free), and the due markers when due() reaches them.
    const requests = distinctKeys(keys).map((key) => ({ DeleteRequest: { Key: keyOf(key) } }));
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async ofSession(sessionId: string, now: number): Promise<PendingEntry[]> {
    return this.withBodies(await queryAll(this.doc, this.liveOfSession(sessionId, now)));
  }

  async *pagesOfSession(sessionId: string, now: number, pageSize: number): AsyncIterable<PendingEntry[]> {
    for await (const items of queryPages(this.doc, { ...this.liveOfSession(sessionId, now), Limit: pageSize })) yield this.withBodies(items);
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
   * At once: the due markers of every shard (promoting their live entries into the index, see
   * due-markers.ts; the shards' markers are processed together, so a session several shards'
   * markers list is read once) and, per shard, the byDue index. Each shard holds its entries sorted by dueAt, so a
   * Query per shard reads only what is due, oldest first; a shard can hold all of the `limit`
   * oldest, so each is asked for up to `limit`, from the markers and from the index. Promoted
   * keys are returned directly (the index is eventually consistent); those beyond the limit are
   * in the index for the next call. With nothing due, that is two Queries per shard that find
   * nothing. The index is KEYS_ONLY: it cannot tell an expired entry, so the caller's getMany does.
   */
  async due(now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>> {
    if (limit <= 0) return [];
    const found: Array<PendingKey & { dueAt: number }> = [];
    const promoted = new Set<string>();
    const shards = Array.from({ length: this.shards }, (_, shard) => String(shard));
    await Promise.all([
      this.markers.promoteDue(shards, now, limit).then((keys) => {
        found.push(...keys);
        for (const key of keys) promoted.add(keyString(key));
      }),
      runLimited(shards, this.shards, async (shard) => void found.push(...(await this.indexedDue(shard, now, limit)))),
    ]);
    const distinct = new Map(found.map((key) => [keyString(key), key]));
    const listed = [...distinct.values()].sort(byDueThenKey).slice(0, limit);
    return this.unlisted === undefined ? listed : this.withoutAcknowledged(listed, promoted, now);
  }

  /**
   * `marker`: the due QoS 1 references whose id is in their session's ack records are deleted, not
   * listed. An ack deletes only what the session's mark covers, so a reference it missed (written
   * before the switch from `reference`, or by a promotion racing the ack) is caught here, at its
   * due time, instead of being resent. Just-promoted keys were checked by their promotion.
   */
  private async withoutAcknowledged(keys: Array<PendingKey & { dueAt: number }>, checked: Set<string>, now: number): Promise<Array<PendingKey & { dueAt: number }>> {
    const unlisted = this.unlisted as { acks: AckRecords };
    const bySession = new Map<string, number>();
    for (const key of keys) {
      const time = idTimeOf(key.id);
      if (time === undefined || !key.id.endsWith(':1') || checked.has(keyString(key))) continue;
      bySession.set(key.sessionId, Math.min(bySession.get(key.sessionId) ?? time, time));
    }
    if (bySession.size === 0) return keys;
    const acked = new Set<string>();
    await runLimited([...bySession], PUT_CONCURRENCY, async ([sessionId, since]) => {
      for (const id of await unlisted.acks.ackedSince(sessionId, since, now)) acked.add(keyString({ sessionId, id }));
    });
    const done = keys.filter((key) => acked.has(keyString(key)));
    if (done.length > 0) await this.deleteMany(done);
    return keys.filter((key) => !acked.has(keyString(key)));
  }

  /** Up to `limit` keys of one shard of the byDue index due at or before `now`, oldest first. */
  private async indexedDue(shard: string, now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>> {
    const found: Array<PendingKey & { dueAt: number }> = [];
    let startKey: Item | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byDue',
          KeyConditionExpression: 'dueShard = :s AND dueAt <= :now',
          ExpressionAttributeValues: { ':s': shard, ':now': now },
          Limit: limit - found.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        found.push({ sessionId: item.sessionId as string, id: item.id as string, dueAt: item.dueAt as number });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && found.length < limit);
    return found;
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

  /**
   * An UpdateItem of every field but the body: the entry's delivery state changes, its message
   * does not, so a reference stays a reference (no body to write) and an old-layout item keeps
   * its data. It sets dueShard: the entry is (or stays) in the index. If the entry now lives
   * longer than before (a dead-letter lease), its body is written again with the new expiry.
   */
  async replaceIf(entry: PendingEntry, expectedDueAt: number, expectedConnectionId?: string): Promise<PendingEntry | undefined> {
    // A missing item (or a tombstone) has no dueAt, so this also keeps replaceIf from
    // recreating it; only a dead-letter lease may replace a dead-letter lease.
    const conditions = ['#dueAt = :expected'];
    const conditionNames: Record<string, string> = { '#dueAt': 'dueAt' };
    if (!entry.deadLettering) {
      conditions.push('attribute_not_exists(#deadLettering)');
      conditionNames['#deadLettering'] = 'deadLettering';
    }
    if (expectedConnectionId !== undefined) {
      conditions.push('#connectionId = :connectionId');
      conditionNames['#connectionId'] = 'connectionId';
    }
    const update = replacement(entry, this.dueShard(entry));
    let old: Item | undefined;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(entry),
          UpdateExpression: update.expression,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { ...update.names, ...conditionNames },
          ExpressionAttributeValues: {
            ...update.values,
            ':expected': expectedDueAt,
            ...(expectedConnectionId !== undefined ? { ':connectionId': expectedConnectionId } : {}),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = out.Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
    if (old !== undefined && isReference(old) && entry.expiresAt > (old.expiresAtMs as number)) await this.bodies.write([entry]);
    return compact({ ...entry });
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
          // The pubrel is sent right after this, so it is the released step's first attempt. Its
          // resend is the index's: a covered entry (first send) enters it here.
          UpdateExpression: 'SET #state = :released, attempts = :one, dueAt = :dueAt, dueShard = :shard',
          ConditionExpression: 'attribute_exists(sessionId) AND expiresAtMs >= :now AND qos = :two AND #state = :sent',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':released': 'released',
            ':sent': 'sent',
            ':one': 1,
            ':two': 2,
            ':dueAt': dueAt,
            ':now': now,
            ':shard': this.dueShard(key),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { result: 'released', entry: await this.withBody(out.Attributes as Item) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const old = itemOfFailedCondition(error);
      // A tombstone is a completed entry: as good as missing.
      if (old === undefined || !isLive(old, now) || old.done === true) return { result: 'missing' };
      if (old.qos !== 2) return { result: 'not-qos2' };
      // A repeated pubrec: the entry stays as the first one left it.
      return { result: 'already-released', entry: await this.withBody(old) };
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

  /** The entries of live entry items, bodies joined (one BatchGetItem on `messages` for the distinct bodies). */
  private async withBodies(items: Item[]): Promise<PendingEntry[]> {
    return entriesOf(items, await this.bodies.dataOf(bodyKeysOf(items)));
  }

  /**
   * One item's entry with its body. The entry was just written, so its body is there; were it
   * not (nothing deletes a body before its references), the entry comes back without data
   * rather than the write being reported as failed.
   */
  private async withBody(item: Item): Promise<PendingEntry> {
    const [entry] = await this.withBodies([item]);
    return entry ?? fromItem(item, undefined);
  }

  private dueShard(key: PendingKey): string {
    return dueShardOf(key, this.shards);
  }
}

/**
 * The UpdateExpression that makes an item the reference of `entry` (data aside): SET every
 * field it has, REMOVE the optional ones it lacks. Names by placeholder: `state`, `data`... are
 * reserved words.
 */
function replacement(entry: PendingEntry, dueShard: string): { expression: string; names: Record<string, string>; values: Item } {
  const { sessionId: _s, id: _i, data: _d, expiresAt, ...fields } = entry;
  const set = compact({ ...fields, ...expiry(expiresAt), dueShard }) as Item;
  const names: Record<string, string> = {};
  const values: Item = {};
  const assignments = Object.entries(set).map(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    return `#f${i} = :f${i}`;
  });
  const removed = OPTIONAL_FIELDS.filter((name) => set[name] === undefined).map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  return { expression: `SET ${assignments.join(', ')}${removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''}`, names, values };
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
