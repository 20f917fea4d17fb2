import type { PendingEntry, PendingKey } from '../core/types.js';

/**
 * Unacknowledged QoS 1 and 2 messages toward clients, keyed by (sessionId, id), so a client
 * can only ever touch its own. Reads ignore entries whose `expiresAt` has passed, and the
 * tombstones `complete` leaves (a completed QoS 2 entry is no entry to any read).
 *
 * Every conditional method returns a domain result instead of throwing when its condition
 * does not hold (another sweep or an ack got there first).
 */
export interface PendingStore {
  /**
   * Writes many entries before their sends (DynamoDB: BatchWriteItem, retrying unprocessed items).
   * Unconditional: it replaces what has the same key, so it is only for ids nobody has used yet
   * (a hand-on's first run, a replay); a re-run uses putAbsent.
   *
   * Entries with one id, createdAt, controller and topic are one message and carry the same
   * data (a server id names one delivery): DynamoDB stores that body once for all of them.
   * A fan-out's first sends (connected, not held, not parked, attempts 1) may wait outside the
   * resend index until due (DynamoDB: due markers); due() lists them all the same.
   */
  putMany(entries: PendingEntry[]): Promise<void>;
  /**
   * Stores a fan-out's first sends that nothing counts before they are due (core/pending.ts
   * `mayWaitUnlisted`: QoS 1, sent to a connected recipient, not held, not parked, attempts 1,
   * and flow control does not count the recipient's entries). An adapter may keep them out of
   * every read until their due time (DynamoDB with `firstSends: marker`: only the due marker
   * lists them): ofSession, pagesOfSession and getMany need not list them, and replaceIf,
   * release, deleteIf and complete need not find them, before due() has listed them. due()
   * lists each at its dueAt unless acknowledge() ended it; from then on it is an entry as any.
   * `others` (and any entry of `firstSends` that is not such a first send) are stored as putMany
   * stores them, in the same call: an adapter that lists first sends at once stores all with one
   * putMany.
   */
  putFirstSends(firstSends: PendingEntry[], others?: PendingEntry[]): Promise<void>;
  /**
   * Ends QoS 1 entries their client acknowledged (msgack of QoS 1 ids), without reading them:
   * unknown ids are fine. An acknowledged entry is not listed by any read, nor due, from then
   * on; a first send putFirstSends stored is never listed by due() once acknowledged.
   * An entry that due() is listing at the same moment may be sent once more, as QoS 1 allows;
   * its next acknowledgement ends it.
   */
  acknowledge(sessionId: string, ids: string[], now: number): Promise<void>;
  /**
   * Stores each entry only where its key holds nothing live: no entry and no tombstone of a
   * completed one. A re-run of a hand-on (same server id) so never resets a recipient's entry
   * nor brings back one the recipient completed (PROTOCOL §4: once pubrec is in, the message is
   * never sent again). Returns what it stored and the live entries that were there already.
   */
  putAbsent(entries: PendingEntry[], now: number): Promise<{ stored: PendingEntry[]; existing: PendingEntry[] }>;
  /**
   * Ends entries their client acknowledged (msgack): a QoS 1 entry is deleted; a QoS 2 entry
   * leaves a tombstone until its deadline (which is past the inbound record's TTL, so past any
   * re-run of its hand-on), out of the resend index and ignored by every read, that putAbsent
   * will not overwrite.
   */
  complete(entries: PendingEntry[]): Promise<void>;
  getMany(keys: PendingKey[], now: number): Promise<PendingEntry[]>;
  /** Deletes (DynamoDB: BatchWriteItem). Unknown keys are fine. */
  deleteMany(keys: PendingKey[]): Promise<void>;
  /** Every entry of one session (Query), in id order. */
  ofSession(sessionId: string, now: number): Promise<PendingEntry[]>;
  /**
   * The same entries a page at a time (Query with Limit; a page may hold fewer than `pageSize`
   * after expired ones are left out), read strongly consistent. Ids order entries by age
   * (server ids begin with the time), so this walks a session oldest first; stopping the
   * iteration stops the reading, which keeps flow control's read bounded by the cap.
   */
  pagesOfSession(sessionId: string, now: number, pageSize: number): AsyncIterable<PendingEntry[]>;
  /** Deletes every entry of one session. */
  deleteSession(sessionId: string, now: number): Promise<void>;

  /**
   * Keys of entries due at or before `now`, read from the resend index (a sharded
   * index keyed by due time) and never by Scan: entries not yet due are not read at all.
   * The index cannot see expiry: it may list expired entries (storage deletes them up to days
   * late), which getMany leaves out and deleteExpired removes.
   */
  due(now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>>;
  /**
   * Deletes the given entries that have expired (`expiresAt < now`), and nothing live. Returns
   * how many it deleted: the sweep uses it to get past expired entries the index still lists.
   */
  deleteExpired(keys: PendingKey[], now: number): Promise<number>;

  /**
   * Replaces an entry only if it still has the `dueAt` the caller saw: the claim that keeps
   * two sweeps (or a sweep and a resume) from both sending it. Returns the stored entry on
   * success, `undefined` if the entry is gone or was claimed or changed by someone else.
   *
   * The caller MUST give the replacement a `dueAt` other than `expectedDueAt`: the claim is
   * the change of dueAt, so two callers writing the same dueAt would both win. The replacement
   * changes the entry's delivery state, not its message: it carries the data the entry has
   * (DynamoDB keeps the stored body).
   *
   * An entry under a dead-letter lease (`deadLettering` set) can only be replaced by another
   * dead-letter lease: a resume, a sweep or flow control never wins against dead-lettering.
   *
   * With `expectedConnectionId`, the entry must also still be aimed at that connection. A held
   * entry is due at its deadline, as a parked one is, so the dueAt alone cannot tell that a
   * newer connection's `resume` has held it for itself meanwhile: the old connection's cleanup
   * parks on both (issue 12 C).
   */
  replaceIf(entry: PendingEntry, expectedDueAt: number, expectedConnectionId?: string): Promise<PendingEntry | undefined>;

  /**
   * QoS 2 `pubrec`: moves an entry from `sent` to `released` (resetting attempts, setting the
   * next due time) only if it is QoS 2. Returns the updated entry, or why not.
   */
  release(
    key: PendingKey,
    dueAt: number,
    now: number,
  ): Promise<{ result: 'released' | 'already-released'; entry: PendingEntry } | { result: 'missing' | 'not-qos2' }>;

  /**
   * Deletes an entry only if it still has the `dueAt` the caller saw (dead-lettering). With
   * `tombstoneUntil`, a tombstone (as `complete` leaves) takes its place until then: a QoS 2
   * message that was dead-lettered must not be brought back by a re-run of its hand-on either
   * (a replay of the letter, putMany, replaces the tombstone).
   */
  deleteIf(key: PendingKey, expectedDueAt: number, tombstoneUntil?: number): Promise<boolean>;
}
