import type { DeadLetterReason, PendingEntry } from '../core/types.js';
import type { AppDeps } from './deps.js';

/**
 * Moves an entry to the dead letters (PROTOCOL §4: kept for inspection, counted, alarmed on).
 * The entry is first claimed (its dueAt pushed out, conditional on the one seen), so a
 * concurrent sweep leaves it alone; then the dead letter is written, then the entry deleted.
 * A crash in between leaves the entry to be found again after the lease: never lost.
 */
export async function deadLetter(deps: AppDeps, entry: PendingEntry, reason: DeadLetterReason, now: number): Promise<boolean> {
  const { pending, deadLetters } = deps.stores;
  const leaseDueAt = now + deps.policy.releaseLeaseMs;
  const claimed = await pending.replaceIf({ ...entry, dueAt: leaseDueAt, expiresAt: Math.max(entry.expiresAt, leaseDueAt + deps.policy.expiryGraceMs) }, entry.dueAt);
  if (!claimed) return false;
  await deadLetters.put({ entry, reason, deadAt: now, expiresAt: now + deps.policy.deadLetterTtlMs });
  await pending.deleteIf({ sessionId: entry.sessionId, id: entry.id }, leaseDueAt);
  deps.metrics?.count('DeadLettered');
  deps.log.warn('Dead letter', { sessionId: entry.sessionId, id: entry.id, qos: entry.qos, reason, attempts: entry.attempts });
  return true;
}
