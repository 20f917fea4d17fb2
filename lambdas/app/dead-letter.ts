import type { DeadLetterReason, PendingEntry } from '../core/types.js';
import type { AppDeps } from './deps.js';

/**
 * Moves an entry to the dead letters (PROTOCOL §4: kept for inspection, counted, alarmed on).
 *
 *   claim (lease: dueAt pushed out, `deadLettering` set) --> put the letter --> delete the entry
 *
 * The lease is a conditional write on the dueAt seen, so a concurrent sweep leaves the entry
 * alone; and it marks the entry `deadLettering`, which no replaceIf but another lease can win
 * against (PendingStore.replaceIf), so a `resume` or flow control racing it cannot put the
 * message back in flight while it becomes a letter (it would be sent twice on replay).
 * A crash in between leaves the entry to be found again after the lease: the sweep finishes
 * the job with the reason and time the mark keeps, so the letter's key is the same: never lost,
 * never two letters.
 */
export async function deadLetter(deps: AppDeps, entry: PendingEntry, reason: DeadLetterReason, now: number): Promise<boolean> {
  const { pending, deadLetters } = deps.stores;
  const mark = entry.deadLettering ?? { reason, deadAt: now };
  const leaseDueAt = now + deps.policy.releaseLeaseMs;
  const lease: PendingEntry = {
    ...entry,
    deadLettering: mark,
    // A lease taken again at the same instant must still change dueAt, or it would not claim.
    dueAt: leaseDueAt === entry.dueAt ? leaseDueAt + 1 : leaseDueAt,
    expiresAt: Math.max(entry.expiresAt, leaseDueAt + deps.policy.expiryGraceMs),
  };
  if (!(await pending.replaceIf(lease, entry.dueAt))) return false;
  const { deadLettering: _mark, ...letterEntry } = entry;
  await deadLetters.put({ entry: letterEntry, reason: mark.reason, deadAt: mark.deadAt, expiresAt: mark.deadAt + deps.policy.deadLetterTtlMs });
  // QoS 2 leaves a tombstone: a re-run of its hand-on must not send the message again.
  await pending.deleteIf({ sessionId: entry.sessionId, id: entry.id }, lease.dueAt, entry.qos === 2 ? entry.deadlineAt : undefined);
  deps.metrics?.count('DeadLettered');
  deps.log.warn('Dead letter', { sessionId: entry.sessionId, id: entry.id, qos: entry.qos, reason: mark.reason, attempts: entry.attempts });
  return true;
}
