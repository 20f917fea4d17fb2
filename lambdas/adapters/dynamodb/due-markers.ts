import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isFirstSend } from '../../core/pending.js';
import type { PendingEntry, PendingKey } from '../../core/types.js';
import type { AckRecords } from './ack-records.js';
import { batchGet, batchWrite, runLimited, type BatchOptions } from './batch.js';
import { compact, expiry, isConditionalCheckFailed, unlessChanged, type Item } from './items.js';
import { dueShardOf, keyOf, keyString, referenceItem } from './pending-items.js';
import type { ReferenceMarks } from './reference-marks.js';

/**
 * Due markers: the resend index of a fan-out's first sends, without a write per recipient.
 *
 * A fan-out's entries that were just sent (connected, not held, not parked, state `sent`,
 * attempts 1) are stored WITHOUT `dueShard`, so they stay out of the byDue index (its write
 * would cost as much as the entry's own), and one marker per (id, dueAt) lists their sessions:
 *
 *   pending item: sessionId = due#<shard>, id = <dueAt, 15 digits>#<id>#<first sessionId>,
 *                 sessions (list, < ~4 KB: a marker holds ~100-200 sessions), TTL pair
 *
 * Most such entries are acked before they are due and deleted, so they never cost the index
 * anything. When a marker falls due, the sweep (due()) reads its entries (eventually consistent:
 * what it decides is a conditional write; a session listed by several markers is one range Query,
 * the rest a BatchGetItem), **promotes** each one that is
 * still there and still unindexed (SET dueShard, conditional), then deletes the marker:
 *
 *   Query due#<shard>, each shard (id < dueAt of now + 1) --> Query/BatchGet refs, once for all shards
 *     --> promote live unindexed --> delete markers
 *
 * Races, each harmless:
 * - an ack (deleteMany, complete) before the marker is processed: the entry is not read, or the
 *   promotion's condition (attribute_exists(dueAt): a tombstone has none) fails;
 * - any other write (replaceIf: resume, gone, handover, flow control; release; putAbsent) sets
 *   dueShard itself, so the promotion skips the entry: the index has it at its new dueAt;
 * - two sweeps on one marker: one promotion wins its condition, the other skips; both deleting
 *   the marker is fine; a crash between promotions and the delete leaves the marker to the next
 *   due(), which skips what is indexed already.
 * A marker is only read once due, an ack timeout after putMany wrote it, and putMany writes it
 * before the entries it covers, so a marker never outlives an entry it should have promoted.
 * The first session in the key keeps apart the markers of two page jobs of one delivery (same
 * id, same dueAt, other sessions), which would otherwise replace each other.
 */

/** Most bytes of session ids in one marker, so a marker stays < 4 KB: one read unit per Query. */
const MARKER_SESSION_BYTES = 3500;
/**
 * Markers per Query page (of each shard): due() stops between pages at its limit. Most markers
 * list only acked entries, so a sweep after a busy interval goes through pages that promote
 * nothing, and each page costs one range Query per session its markers list (read()): the
 * larger the page, the fewer times a busy topic's subscribers are read. 100 markers of < 4 KB
 * are < 400 KB, under a Query page's 1 MB; their delete is 4 BatchWriteItems.
 */
const MARKER_PAGE = 100;
/** Promotions (conditional UpdateItem), and the markers' range Queries, in flight at once. */
const PROMOTE_CONCURRENCY = 16;
/**
 * A range Query evaluates at most this many items per id it looks for: enough for a session's
 * other entries sorting in between, while its cost stays below BatchGetItem's 0.5 per key
 * (a reference is < 1 KB, so 4 per key read is < 2 KB per key, i.e. ≤ 0.25 read units).
 */
const RANGE_SLACK = 4;
/** What promotion decides on: the key, and whether the entry is due, indexed or a tombstone. */
const REF_ATTRIBUTES = ['sessionId', 'id', 'dueAt', 'dueShard', 'done'];
const REF_NAMES = Object.fromEntries(REF_ATTRIBUTES.map((name, i) => [`#r${i}`, name]));
const REF_PROJECTION = Object.keys(REF_NAMES).join(', ');

/** Whether putMany leaves the entry to a due marker instead of the byDue index: a fan-out's first send. */
export function isCoveredByMarker(entry: PendingEntry): boolean {
  return isFirstSend(entry);
}

/**
 * With `firstSends: marker` (docs/architecture.md "Sparse first sends"), a first send that
 * PendingStore.putFirstSends stores has NO reference item: its marker carries what the reference
 * would (`entry`: the delivery's fields; `targets`: per session its connection, kind and format),
 * and when it falls due the session's ack records (ack-records.ts) tell which were acked; only
 * the others get their reference written, into the index (their session's mark raised first:
 * reference-marks.ts). A crash between those writes and the marker's delete leaves the marker to
 * the next due(), whose conditional puts skip what is written already.
 */
export interface UnlistedFirstSends {
  acks: AckRecords;
  marks: ReferenceMarks;
}

/** The fields a per-delivery marker keeps of its entries (all but the session's own and `data`). */
const PER_SESSION = ['sessionId', 'connectionId', 'sessionKind', 'format', 'data'] as const;

export class DueMarkers {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly shards: number,
    private readonly batch: BatchOptions | undefined,
    private readonly unlisted: UnlistedFirstSends,
  ) {}

  /**
   * The markers of first sends stored without references: per delivery and due time, each
   * listing what fits 3.5 KB beside the template (about 50 sessions of API Gateway's ids).
   */
  unlistedItemsFor(entries: PendingEntry[]): Item[] {
    const groups = new Map<string, { template: Item; targets: string[] }>();
    for (const entry of entries) {
      const template = templateOf(entry);
      const group = JSON.stringify(template);
      const found = groups.get(group) ?? { template, targets: [] };
      found.targets.push(targetOf(entry));
      groups.set(group, found);
    }
    const items: Item[] = [];
    for (const { template, targets } of groups.values()) {
      // The template shares the marker's 4 KB with the targets.
      const budget = MARKER_SESSION_BYTES - Buffer.byteLength(JSON.stringify(template));
      for (const chunk of bySize(targets, (target) => Buffer.byteLength(target) + 3, budget)) {
        const first = sessionOfTarget(chunk[0] as string);
        items.push({
          sessionId: `${MARKER_PREFIX}${dueShardOf({ sessionId: first, id: template.id as string }, this.shards)}`,
          id: `${dueKey(template.dueAt as number)}#${template.id as string}#${first}`,
          entry: template,
          targets: chunk,
          ...expiry(template.expiresAt as number),
        });
      }
    }
    return items;
  }

  /** The marker items covering `entries` (all covered, keys distinct): per (id, dueAt), chunked by size. */
  itemsFor(entries: PendingEntry[]): Item[] {
    const groups = new Map<string, PendingEntry[]>();
    for (const entry of entries) {
      const group = `${entry.dueAt}\u0000${entry.id}`;
      groups.set(group, [...(groups.get(group) ?? []), entry]);
    }
    // A list element costs its length plus a byte or so of overhead.
    return [...groups.values()].flatMap((group) => bySize(group, (entry) => Buffer.byteLength(entry.sessionId) + 3).map((chunk) => this.markerItem(chunk)));
  }

  private markerItem(chunk: PendingEntry[]): Item {
    const first = chunk[0] as PendingEntry;
    return {
      sessionId: `${MARKER_PREFIX}${dueShardOf(first, this.shards)}`,
      id: `${dueKey(first.dueAt)}#${first.id}#${first.sessionId}`,
      sessions: chunk.map((entry) => entry.sessionId),
      // As long as the longest-lived entry it covers: a marker no due() reached (none ran for days) goes by itself.
      ...expiry(Math.max(...chunk.map((entry) => entry.expiresAt))),
    };
  }

  /**
   * Processes the markers due at or before `now` of every shard, oldest first, a page of each
   * shard at a time, until it has promoted `limit` entries (the markers left stay for the next
   * call). The shards' pages are read together: a session that markers of several shards list
   * (every fan-out lists every subscriber, and its markers land on different shards) is read with
   * one range Query, not one per shard. Promotions are what a call is bounded by, not markers: a
   * page of markers can list 100 x 16 x ~170 entries, and a sweep's pass must fit in the time it
   * keeps for one (app/resend-sweep.ts timeForAnotherPass; the bench's sizing pass found a pass
   * that promoted a whole fan-out of 1,000 unacked entries before resending its first 100 taking
   * 7 s, against 3.9 s bounded). Markers of only acked entries cost reads, no writes, and are all
   * processed in one call. The opt-in `firstSends: marker` markers are not bounded so: their
   * sessions' ack records are read per session across the markers (promoteUnacked).
   * Returns the keys it promoted that are due by now; an entry promoted early (a later write gave
   * it a later dueAt) is in the index, where due() finds it in time.
   */
  async promoteDue(shards: string[], now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>> {
    const promoted: Array<PendingKey & { dueAt: number }> = [];
    let budget = limit;
    // Each shard's next page: its ExclusiveStartKey, or undefined for its first page.
    let open: Array<{ shard: string; startKey: Item | undefined }> = shards.map((shard) => ({ shard, startKey: undefined }));
    while (open.length > 0 && budget > 0) {
      const pages = await Promise.all(
        open.map(async (cursor) => {
          const page = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'sessionId = :marker AND id < :after',
              ExpressionAttributeValues: { ':marker': `${MARKER_PREFIX}${cursor.shard}`, ':after': dueKey(now + 1) },
              // Strongly consistent: a marker just deleted by another sweep is not processed again.
              ConsistentRead: true,
              Limit: MARKER_PAGE,
              ...(cursor.startKey ? { ExclusiveStartKey: cursor.startKey } : {}),
            }),
          );
          return { shard: cursor.shard, markers: page.Items ?? [], startKey: page.LastEvaluatedKey };
        }),
      );
      const markers = pages.flatMap((page) => page.markers);
      if (markers.length > 0) {
        const done = await this.process(markers, now, budget);
        promoted.push(...done.due);
        budget -= done.promotions;
      }
      open = pages.filter((page) => page.startKey !== undefined).map((page) => ({ shard: page.shard, startKey: page.startKey }));
    }
    return promoted;
  }

  /**
   * Promotes what the markers list that is still there and unindexed (or unacked), at most
   * `budget` listed entries, oldest marker first; then deletes the markers it finished. A marker
   * with entries left unpromoted stays whole: the next call reads it again, skips what is
   * indexed now and promotes the rest.
   */
  private async process(markers: Item[], now: number, budget: number): Promise<{ due: Array<PendingKey & { dueAt: number }>; promotions: number }> {
    const promoted: Array<PendingKey & { dueAt: number }> = [];
    const firstSends = markers.filter((marker) => marker.entry !== undefined);
    let finished: Item[] = firstSends;
    let promotions = 0;
    await Promise.all([
      this.promoteListed(
        markers.filter((marker) => marker.entry === undefined),
        now,
        budget,
      ).then((out) => {
        promoted.push(...out.due);
        promotions += out.promotions;
        finished = [...finished, ...out.finished];
      }),
      firstSends.length > 0
        ? this.promoteUnacked(firstSends, now).then((keys) => {
            promoted.push(...keys);
            promotions += keys.length;
          })
        : undefined,
    ]);
    await batchWrite(
      this.doc,
      this.tableName,
      finished.map((marker) => ({ DeleteRequest: { Key: keyOf(marker as PendingKey) } })),
      this.batch,
    );
    return { due: promoted, promotions };
  }

  /**
   * The unlisted first sends of these markers that their sessions did not acknowledge get their
   * reference, in the index: one ack-record Query per session (since its oldest listed delivery),
   * the session's mark raised, then one conditional put each (skipped where any item is there:
   * a reference some other write made, or a tombstone).
   */
  private async promoteUnacked(markers: Item[], now: number): Promise<Array<PendingKey & { dueAt: number }>> {
    const unlisted = this.unlisted;
    const bySession = new Map<string, PendingEntry[]>();
    for (const marker of markers) {
      for (const target of marker.targets as string[]) {
        const entry = entryOf(marker.entry as Item, target);
        bySession.set(entry.sessionId, [...(bySession.get(entry.sessionId) ?? []), entry]);
      }
    }
    const promoted: Array<PendingKey & { dueAt: number }> = [];
    await runLimited([...bySession], PROMOTE_CONCURRENCY, async ([sessionId, entries]) => {
      const acked = await unlisted.acks.ackedSince(sessionId, Math.min(...entries.map((e) => e.createdAt)), now);
      const unacked = entries.filter((entry) => !acked.has(entry.id));
      if (unacked.length === 0) return;
      await unlisted.marks.cover(unacked);
      for (const entry of unacked) {
        const written = await unlessChanged(() =>
          this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: referenceItem(entry, dueShardOf(entry, this.shards)),
              ConditionExpression: 'attribute_not_exists(sessionId)',
            }),
          ),
        );
        if (written && entry.dueAt <= now) promoted.push({ sessionId, id: entry.id, dueAt: entry.dueAt });
      }
    });
    return promoted;
  }

  /**
   * Promotes what the (listed first sends') markers list that is still there and unindexed, the
   * oldest markers' first, at most `budget` of them. Returns the promoted keys due by now, how
   * many promotions it tried, and the markers with nothing left to promote.
   */
  private async promoteListed(
    markers: Item[],
    now: number,
    budget: number,
  ): Promise<{ due: Array<PendingKey & { dueAt: number }>; promotions: number; finished: Item[] }> {
    if (markers.length === 0) return { due: [], promotions: 0, finished: [] };
    const keys = new Map<string, PendingKey>();
    for (const marker of markers) {
      const id = idOfMarker(marker);
      for (const sessionId of marker.sessions as string[]) keys.set(keyString({ sessionId, id }), { sessionId, id });
    }
    const refs = await this.read([...keys.values()]);
    // A tombstone (done, no dueAt) is an ack; an indexed entry is the index's.
    const unindexed = new Set(refs.filter((ref) => typeof ref.dueAt === 'number' && ref.dueShard === undefined && ref.done !== true).map((ref) => keyString(ref as PendingKey)));
    // Oldest first (a marker's key starts with its due time), each marker's entries in its order.
    const chosen: PendingKey[] = [];
    const finished: Item[] = [];
    for (const marker of [...markers].sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1))) {
      const id = idOfMarker(marker);
      const left = (marker.sessions as string[]).map((sessionId) => ({ sessionId, id })).filter((key) => unindexed.has(keyString(key)));
      const room = Math.max(0, budget - chosen.length);
      chosen.push(...left.slice(0, room));
      if (left.length <= room) finished.push(marker);
    }
    const due: Array<PendingKey & { dueAt: number }> = [];
    await runLimited(chosen, PROMOTE_CONCURRENCY, async (key) => {
      const entry = await this.promote(key);
      if (entry !== undefined && entry.dueAt <= now) due.push(entry);
    });
    return { due, promotions: chosen.length, finished };
  }

  /**
   * The markers' entries that are still there. A session listed by several markers (a busy
   * session's sends of one sweep interval) is read with one Query over the range of its ids:
   * a Query costs the summed size of what it returns, rounded up to 4 KB once, where BatchGetItem
   * costs a rounded-up item per key, found or not (docs/architecture.md "Delivery at scale").
   * Its Limit stops it from reading far past what it looks for (a session's other entries that
   * sort in between); keys past where it stopped, and sessions listed once, go to BatchGetItem.
   */
  private async read(keys: PendingKey[]): Promise<Item[]> {
    const bySession = new Map<string, string[]>();
    for (const key of keys) bySession.set(key.sessionId, [...(bySession.get(key.sessionId) ?? []), key.id]);
    const rest: PendingKey[] = [];
    const found: Item[] = [];
    await runLimited([...bySession], PROMOTE_CONCURRENCY, async ([sessionId, ids]) => {
      if (ids.length < 2) {
        rest.push(...ids.map((id) => ({ sessionId, id })));
        return;
      }
      const sorted = [...ids].sort();
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :session AND #sk BETWEEN :first AND :last',
          ExpressionAttributeNames: { '#pk': 'sessionId', '#sk': 'id', ...REF_NAMES },
          ExpressionAttributeValues: { ':session': sessionId, ':first': sorted[0], ':last': sorted[sorted.length - 1] },
          ProjectionExpression: REF_PROJECTION,
          // As the BatchGetItem it replaces: what it decides is a conditional write.
          ConsistentRead: false,
          Limit: RANGE_SLACK * sorted.length,
        }),
      );
      const wanted = new Set(sorted);
      found.push(...(out.Items ?? []).filter((item) => wanted.has(item.id as string)));
      const stoppedAt = out.LastEvaluatedKey?.id as string | undefined;
      if (stoppedAt !== undefined) rest.push(...sorted.filter((id) => id > stoppedAt).map((id) => ({ sessionId, id })));
    });
    if (rest.length > 0) found.push(...(await batchGet(this.doc, this.tableName, rest.map(keyOf), { ...this.batch, consistentRead: false, attributes: REF_ATTRIBUTES })));
    return found;
  }

  /**
   * Puts an entry into the byDue index if it is still there (not acked: no tombstone) and not
   * indexed yet. Returns its key and dueAt as written, or undefined if another write got there first.
   */
  private async promote(key: PendingKey): Promise<(PendingKey & { dueAt: number }) | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'SET dueShard = :shard',
          ConditionExpression: 'attribute_exists(dueAt) AND attribute_not_exists(dueShard)',
          ExpressionAttributeValues: { ':shard': dueShardOf(key, this.shards) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...key, dueAt: out.Attributes?.dueAt as number };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}

/** Marker partitions begin so; a sessionId never contains `#`, so no session's partition does. */
export const MARKER_PREFIX = 'due#';

/** A due time as 15 digits, so marker keys sort by it. */
function dueKey(dueAt: number): string {
  return String(dueAt).padStart(15, '0');
}

/** The message id in a marker's key `<dueAt>#<id>#<first sessionId>` (a sessionId has no `#`; an id might). */
function idOfMarker(marker: Item): string {
  const key = marker.id as string;
  return key.slice(16, key.lastIndexOf('#'));
}

/** Chunks of `items` whose sizes add up to at most `budget` bytes (one item at least each). */
function bySize<T>(items: T[], size: (item: T) => number, budget: number = MARKER_SESSION_BYTES): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemSize = size(item);
    if (chunk.length > 0 && bytes + itemSize > budget) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += itemSize;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** What an unlisted first send's marker keeps of it for all its sessions: the entry but its session's fields and its body. */
function templateOf(entry: PendingEntry): Item {
  const template: Record<string, unknown> = { ...entry };
  for (const field of PER_SESSION) delete template[field];
  return compact(template) as Item;
}

/** A session's part of the entry, as one string: session, connection, kind, format (none contains a tab). */
function targetOf(entry: PendingEntry): string {
  return [entry.sessionId, entry.connectionId ?? '', entry.sessionKind, entry.format].join('\t');
}

function sessionOfTarget(target: string): string {
  return target.slice(0, target.indexOf('\t'));
}

/** The entry (without its body) a marker's template and target describe. */
function entryOf(template: Item, target: string): PendingEntry {
  const [sessionId, connectionId, sessionKind, format] = target.split('\t');
  return compact({ ...(template as PendingEntry), sessionId: sessionId as string, connectionId: connectionId || undefined, sessionKind, format, data: undefined }) as PendingEntry;
}
