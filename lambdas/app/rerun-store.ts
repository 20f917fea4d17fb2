import type { DeliveryPlan, PlannedSend } from '../core/delivery.js';
import { decideResend } from '../core/pending.js';
import type { PendingEntry } from '../core/types.js';
import type { AppDeps } from './deps.js';

const entryKey = (e: Pick<PendingEntry, 'sessionId' | 'id'>) => `${e.sessionId}\u0000${e.id}`;

/**
 * A re-run's store (PROTOCOL §4: once pubrec is in, the message is never sent again): entries
 * are written only where the recipient has none (PendingStore.putAbsent), so an entry a
 * recipient released stays released and one it completed stays completed. Only what was stored
 * now is sent as new; an entry the earlier run stored and that is still unanswered and due (its
 * run may have died before posting it) is sent again now as the sweep would (dup if it was sent).
 * Leaves in `plan.sends` exactly the posts to make: the new entries' and those resends.
 */
export async function storeRerun(deps: AppDeps, plan: DeliveryPlan, now: number): Promise<void> {
  const { stored, existing } = await deps.stores.pending.putAbsent(plan.entries, now);
  const storedKeys = new Set(stored.map(entryKey));
  const resends: PlannedSend[] = [];
  for (const entry of existing) {
    if (entry.state !== 'sent') continue;
    // Not due yet: it was posted a moment ago (by the sweep, or handed on), or the sweep posts it
    // when it falls due. Posted again now, it could land after the client's pubrec (PROTOCOL §4).
    if (entry.dueAt > now) continue;
    const decision = decideResend(entry, now, deps.policy);
    if (decision.kind !== 'resend') continue; // parked, held or at its end: the sweep's to handle
    if (!(await deps.stores.pending.replaceIf(decision.next, entry.dueAt))) continue;
    resends.push({
      connectionId: decision.next.connectionId as string,
      sessionId: entry.sessionId,
      sessionKind: entry.sessionKind,
      format: entry.format,
      frame: decision.frame,
      entry: decision.next,
    });
  }
  plan.sends = [...plan.sends.filter((s) => s.entry === undefined || storedKeys.has(entryKey(s.entry))), ...resends];
}
