import type { PendingEntry, PendingKey } from '../../core/types.js';
import { compact, expiry, fromJson, type Item } from './items.js';
import { bodyKeyOf, bodyKeyString, type BodyKey } from './message-bodies.js';

/**
 * The pending table's entry items (its due markers are in due-markers.ts):
 *
 * - a reference (written since issue 13): the entry's fields without `data` (`messageExpiresAt`,
 *   PROTOCOL §4 per-message expiry, among them, so the sweep needs no body to decide), `ref: true`, the
 *   TTL pair (never later than the message's end plus the grace), and `dueShard` only when no due marker covers it. Its body is the `messages` item
 *   bodyKeyOf(entry) names (controller, topic, createdAt and id are all on the reference).
 * - an entry of the old layout (before issue 13): the same fields with `data` inline as a JSON
 *   string, always with `dueShard`. Still read as it is: no backfill is needed.
 * - a tombstone of a completed QoS 2 entry: the key, `done`, the TTL pair; no dueAt and no
 *   dueShard, so it is out of the resend index and no promotion can touch it.
 */

/** The reference item of an entry; `dueShard` undefined leaves it out of the byDue index. */
export function referenceItem(entry: PendingEntry, dueShard: string | undefined): Item {
  const { data: _data, expiresAt, ...fields } = entry;
  return compact({ ...fields, ref: true, ...expiry(expiresAt), dueShard });
}

/** Whether an item keeps its data in `messages` (else it is of the old layout, data inline). */
export function isReference(item: Item): boolean {
  return item.ref === true;
}

/** The body an item references (meaningful for references only). */
export function bodyKeyOfItem(item: Item): BodyKey {
  return bodyKeyOf({ controller: item.controller, topic: item.topic, createdAt: item.createdAt, id: item.id });
}

/**
 * The entries of live entry items, in their order, each with its data: inline in an old-layout
 * item, else from `bodies` (by bodyKeyString). A reference whose body is not there is left out:
 * bodies are written before their references and expire after them, so that is a write still
 * under way, read as not there yet.
 */
export function entriesOf(items: Item[], bodies: Map<string, unknown>): PendingEntry[] {
  return items.flatMap((item) => {
    if (!isReference(item)) return [fromItem(item, fromJson(item.data))];
    const name = bodyKeyString(bodyKeyOfItem(item));
    return bodies.has(name) ? [fromItem(item, bodies.get(name))] : [];
  });
}

/** The body keys the references among `items` need. */
export function bodyKeysOf(items: Item[]): BodyKey[] {
  return items.filter(isReference).map(bodyKeyOfItem);
}

export function fromItem(item: Item, data: unknown): PendingEntry {
  return compact<PendingEntry>({
    sessionId: item.sessionId,
    id: item.id,
    connectionId: item.connectionId,
    sessionKind: item.sessionKind,
    format: item.format,
    controller: item.controller,
    topic: item.topic,
    data,
    qos: item.qos,
    retained: item.retained,
    messageExpiresAt: item.messageExpiresAt,
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

/** The entry fields an item may lack (an entry without them is stored without the attribute). */
export const OPTIONAL_FIELDS = ['connectionId', 'retained', 'messageExpiresAt', 'held', 'sent', 'deadLettering'] as const;

/** What is left of a completed (or dead-lettered) QoS 2 entry: out of the byDue index, ignored by reads. */
export function tombstone(key: PendingKey, until: number): Item {
  return { ...keyOf(key), done: true, ...expiry(until) };
}

export function keyOf(key: PendingKey): Item {
  return { sessionId: key.sessionId, id: key.id };
}

export function keyString(key: PendingKey): string {
  return `${key.sessionId}\u0000${key.id}`;
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
