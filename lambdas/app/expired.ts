import type { PendingEntry } from '../core/types.js';
import type { AppDeps } from './deps.js';

/**
 * Drops a pending entry whose message expired (PROTOCOL §4 per-message expiry: "a pending copy
 * of it is dropped, counted in a metric, not dead-lettered"). Claimed by a conditional delete on
 * the dueAt it was read with, so a sweep, a resume and an ack racing for it count it once; the
 * loser gets false. No tombstone: nothing can bring an expired message back (every later
 * delivery of it, a QoS 2 hand-on re-run included, plans nothing once it is expired).
 */
export async function dropExpired(deps: Pick<AppDeps, 'stores' | 'metrics'>, entry: PendingEntry): Promise<boolean> {
  if (!(await deps.stores.pending.deleteIf({ sessionId: entry.sessionId, id: entry.id }, entry.dueAt))) return false;
  deps.metrics?.count('Expired', 1, entry.qos);
  return true;
}
