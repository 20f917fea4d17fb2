import { park, sendBy, stepFrame, wasSent } from '../core/pending.js';
import type { DeadLetter, PendingEntry } from '../core/types.js';
import type { AppDeps } from './deps.js';

/**
 * Dead letters for the operator (PROTOCOL §4: kept for inspection): list a session's, and
 * replay them, i.e. put each back as a pending entry that is due now with fresh attempts and
 * a fresh deadline, then delete the letter. The resend sweep sends it within its next pass
 * (the step the entry was at: the message, `dup: true` if it was ever sent, or pubrel once released), to the
 * connection that serves the session now; a session nobody serves parks it for `resume`.
 *
 * Order: the entry is stored before the letter is deleted, so a crash in between leaves the
 * letter to replay again (at least once, as QoS 1/2 promise: the client's msgack ends it).
 */

export type Replayable = Pick<AppDeps, 'stores' | 'policy' | 'log'>;

/** A session's live dead letters, oldest first. */
export function listDeadLetters(deps: Pick<AppDeps, 'stores'>, sessionId: string, now: number): Promise<DeadLetter[]> {
  return deps.stores.deadLetters.ofSession(sessionId, now);
}

/** The entry a letter becomes when replayed at `now`, sent to `connectionId` (parked if none). */
export function replayedEntry(letter: DeadLetter, connectionId: string | undefined, now: number, policy: AppDeps['policy']): PendingEntry {
  const deadlineAt = now + policy.messageTtlMs;
  // Not held any more (the sweep sends it); `sent` kept, so a message never sent is no dup.
  const { connectionId: _old, held: _held, sent: _sent, ...rest } = letter.entry;
  const fresh: PendingEntry = {
    ...rest,
    parked: false,
    ...(wasSent(letter.entry) ? { sent: true } : {}),
    attempts: 0,
    deadlineAt,
    dueAt: now,
    // No later than needed: a message with an expiry (PROTOCOL §4) is dropped by the sweep at once if past it.
    expiresAt: sendBy({ state: rest.state, deadlineAt, ...(rest.messageExpiresAt !== undefined ? { messageExpiresAt: rest.messageExpiresAt } : {}) }) + policy.expiryGraceMs,
  };
  // Nobody to send to: parked as a gone connection would park it, for the session's `resume`.
  return connectionId === undefined ? park(fresh) : { ...fresh, connectionId };
}

/**
 * Replays a session's dead letters (only `ids` if given). Returns the entries put back.
 * Needs the deadLetters, pending and connections tables.
 */
export async function replayDeadLetters(deps: Replayable, sessionId: string, now: number, ids?: readonly string[]): Promise<PendingEntry[]> {
  const letters = (await deps.stores.deadLetters.ofSession(sessionId, now)).filter((l) => ids === undefined || ids.includes(l.entry.id));
  if (letters.length === 0) return [];
  // A persistent session knows its connection (absent while away: park); a clean session is
  // its connection (sessionId = connectionId) and is replayable only while that is connected.
  const session = await deps.stores.connections.getSession(sessionId, now);
  const connection = session ? undefined : await deps.stores.connections.get(sessionId, now);
  const connectionId = session ? session.connectionId : connection?.connectionId;
  const replayed: PendingEntry[] = [];
  for (const letter of letters) {
    const entry = replayedEntry(letter, connectionId, now, deps.policy);
    await deps.stores.pending.putMany([entry]);
    await deps.stores.deadLetters.delete({ sessionId, id: letter.entry.id, deadAt: letter.deadAt });
    deps.log.info('Dead letter replayed', { sessionId, id: entry.id, qos: entry.qos, parked: entry.parked, reason: letter.reason });
    replayed.push(entry);
  }
  return replayed;
}

/** The frame a replayed entry will be sent as (for a dry run's output), as of its replay (its dueAt). */
export function replayFrame(entry: PendingEntry) {
  return stepFrame(entry, wasSent(entry), entry.dueAt);
}
