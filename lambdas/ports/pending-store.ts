import type { PendingEntry, PendingKey } from '../core/types.js';

/**
 * Unacknowledged QoS 1 and 2 messages toward clients, keyed by (sessionId, id), so a client
 * can only ever touch its own. Reads ignore entries whose `expiresAt` has passed.
 *
 * Every conditional method returns a domain result instead of throwing when its condition
 * does not hold (another sweep or an ack got there first).
 */
export interface PendingStore {
  /** Writes many entries before their sends (DynamoDB: BatchWriteItem, retrying unprocessed items). */
  putMany(entries: PendingEntry[]): Promise<void>;
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
   */
  due(now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>>;

  /**
   * Replaces an entry only if it still has the `dueAt` the caller saw: the claim that keeps
   * two sweeps (or a sweep and a resume) from both sending it. Returns the stored entry on
   * success, `undefined` if the entry is gone or was claimed or changed by someone else.
   */
  replaceIf(entry: PendingEntry, expectedDueAt: number): Promise<PendingEntry | undefined>;

  /**
   * QoS 2 `pubrec`: moves an entry from `sent` to `released` (resetting attempts, setting the
   * next due time) only if it is QoS 2. Returns the updated entry, or why not.
   */
  release(
    key: PendingKey,
    dueAt: number,
    now: number,
  ): Promise<{ result: 'released' | 'already-released'; entry: PendingEntry } | { result: 'missing' | 'not-qos2' }>;

  /** Deletes an entry only if it still has the `dueAt` the caller saw (dead-lettering). */
  deleteIf(key: PendingKey, expectedDueAt: number): Promise<boolean>;
}
