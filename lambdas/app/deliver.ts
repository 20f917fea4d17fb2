import { planDelivery, type Delivery, type PlannedSend } from '../core/delivery.js';
import { decideResend, handOver, park } from '../core/pending.js';
import type { PendingEntry, Recipient } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { applyFlowControl, recheckHeld } from './flow-control.js';
import { endConnection } from './janitor.js';
import { mapLimit } from './map-limit.js';
import { sendFrame } from './sender.js';

/** Posts in flight at once during a fan-out. */
const SEND_CONCURRENCY = 32;

/** What one delivery did, for the caller's metrics and the tests. */
export interface DeliveryStats {
  recipients: number;
  stored: number;
  sent: number;
  gone: number;
  failed: number;
  dropped: number;
}

export function emptyStats(): DeliveryStats {
  return { recipients: 0, stored: 0, sent: 0, gone: 0, failed: 0, dropped: 0 };
}

/**
 * How many recipients a message was handed to: every one found, but the away sessions a QoS 0
 * message was dropped for. A QoS 1/2 entry kept for an away or gone session counts: it is
 * stored for it and delivered on `resume`. The `recipients` of a client's msgack.
 */
export function handedTo(stats: DeliveryStats): number {
  return stats.recipients - stats.dropped;
}

/**
 * Hands one message on to everybody it is for (PROTOCOL §5): connections with the
 * controller open (Query on memberships) or the topic's subscribers (Query on the topic),
 * page by page. Resolves once every pending entry is stored and every send attempted, which
 * is when a QoS 1 publish may be acked (PROTOCOL §4, client to server).
 */
export async function deliver(deps: AppDeps, delivery: Delivery, messageId: string, now: number): Promise<DeliveryStats> {
  const stats = emptyStats();
  const pages =
    delivery.via === 'invoke'
      ? deps.stores.connections.membersOf(delivery.controller, now)
      : deps.stores.subscriptions.subscribersOf(delivery.controller, delivery.topic, now);
  for await (const page of pages) await deliverTo(deps, page, delivery, messageId, now, stats);
  return stats;
}

/** Delivers to the given recipients: store every entry first (batched), then send. */
export async function deliverTo(
  deps: AppDeps,
  recipients: Recipient[],
  delivery: Delivery,
  messageId: string,
  now: number,
  stats: DeliveryStats = emptyStats(),
): Promise<DeliveryStats> {
  const plan = planDelivery(recipients, delivery, messageId, now, deps.policy);
  const held = await applyFlowControl(deps, plan, now);
  stats.recipients += recipients.length;
  stats.dropped += plan.dropped;
  if (plan.entries.length > 0) {
    if (delivery.rerun) await storeRerun(deps, plan, now);
    else await deps.stores.pending.putMany(plan.entries);
    stats.stored += plan.entries.length;
    deps.metrics?.count('PendingStored', plan.entries.length);
  }
  const results = await mapLimit(plan.sends, SEND_CONCURRENCY, (send) => sendFrame(deps, send, send.frame));
  const gone = new Map<string, PlannedSend>();
  results.forEach((result, i) => {
    const send = plan.sends[i] as PlannedSend;
    if (result === 'ok') {
      stats.sent += 1;
      if (send.frame.type === 'message') deps.metrics?.count('Delivered', 1, send.frame.qos);
    } else if (result === 'failed') stats.failed += 1;
    else {
      stats.gone += 1;
      gone.set(send.connectionId, send);
    }
  });
  for (const send of gone.values()) await connectionGone(deps, send, now);
  if (held.length > 0) await recheckHeld(deps, held, now);
  return stats;
}

const entryKey = (e: Pick<PendingEntry, 'sessionId' | 'id'>) => `${e.sessionId}\u0000${e.id}`;

/**
 * A re-run's store (PROTOCOL §4: once pubrec is in, the message is never sent again): entries
 * are written only where the recipient has none (PendingStore.putAbsent), so an entry a
 * recipient released stays released and one it completed stays completed. Only what was stored
 * now is sent as new; an entry the earlier run stored and that is still unanswered (its run may
 * have died before posting it) is sent again now as the sweep would (dup if it was sent).
 */
async function storeRerun(deps: AppDeps, plan: ReturnType<typeof planDelivery>, now: number): Promise<void> {
  const { stored, existing } = await deps.stores.pending.putAbsent(plan.entries, now);
  const storedKeys = new Set(stored.map(entryKey));
  const resends: PlannedSend[] = [];
  for (const entry of existing) {
    if (entry.state !== 'sent') continue;
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

/**
 * A send found the connection gone (GoneException). A persistent session keeps the entry for
 * `resume`, parked; but if a newer connection serves the session now (a takeover raced the
 * send: its `resume` may have read the session before this send claimed the entry), the
 * entry is handed to that connection and stays in flight instead. A clean session is removed
 * with everything it had.
 */
export async function connectionGone(deps: AppDeps, send: PlannedSend, now: number): Promise<void> {
  deps.metrics?.count('GoneConnections');
  if (send.sessionKind === 'persistent' && send.entry && !(await handToNewerConnection(deps, send, send.entry, now))) {
    await deps.stores.pending.replaceIf(park(send.entry), send.entry.dueAt);
  }
  await endConnection(deps, send, now);
}

/**
 * Sends the entry (the same frame) to the connection that serves the session now, if that is
 * another one. Returns false if there is none, so the caller parks. Claimed by a conditional
 * write on the dueAt the gone send left: if a resume or an ack got there first, theirs stands.
 */
async function handToNewerConnection(deps: AppDeps, send: PlannedSend, entry: PendingEntry, now: number): Promise<boolean> {
  const session = await deps.stores.connections.getSession(send.sessionId, now);
  const connectionId = session?.connectionId;
  if (session === undefined || connectionId === undefined || connectionId === send.connectionId) return false;
  const next = handOver(entry, connectionId, session.format, now, deps.policy);
  if (!(await deps.stores.pending.replaceIf(next, entry.dueAt))) return true;
  // Gone as well: parked for the resume of whichever connection comes next.
  if ((await sendFrame(deps, { connectionId, format: session.format }, send.frame)) === 'gone') {
    await deps.stores.pending.replaceIf(park(next), next.dueAt);
  }
  return true;
}
