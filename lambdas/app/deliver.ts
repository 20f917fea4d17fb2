import { isQos1Id, planDelivery, type Delivery, type DeliveryPlan, type PlannedSend } from '../core/delivery.js';
import { mayWaitUnlisted } from '../core/pending.js';
import { isExpired } from '../core/expiry.js';
import type { Recipient } from '../core/types.js';
import { connectionGone } from './connection-gone.js';
import type { AppDeps } from './deps.js';
import { applyFlowControl, recheckHeld } from './flow-control.js';
import { onceAcross, readAudiencePage } from './fanout.js';
import { readWholeAudience, UNQUEUED_PAGE, withMatchingFilters } from './filter-audience.js';
import { mapLimit } from './map-limit.js';
import { storeRerun } from './rerun-store.js';
import { sendFrame } from './sender.js';
import { unparkForConnectedSessions } from './unpark.js';

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
  /** Page jobs queued for the rest of the audience (0 or 1 per delivery: a span job, which queues the rest: app/fanout-page.ts). */
  queued: number;
}

export function emptyStats(): DeliveryStats {
  return { recipients: 0, stored: 0, sent: 0, gone: 0, failed: 0, dropped: 0, queued: 0 };
}

/**
 * How many recipients a message was handed to: every one found, but the away sessions a QoS 0
 * message was dropped for. A QoS 1/2 entry kept for an away or gone session counts: it is
 * stored for it and delivered on `resume`. The `recipients` of a client's msgack. For an
 * audience larger than the inline page it counts the inline page only: the rest was queued
 * and is handed on after the ack (docs/protocol.md §4), so it is a lower bound.
 */
export function handedTo(stats: DeliveryStats): number {
  return stats.recipients - stats.dropped;
}

/**
 * Hands one message on to everybody it is for (PROTOCOL §5): connections and persistent
 * sessions (connected or away) with the controller open (Query on memberships) or the
 * topic's subscribers (Query on the topic), page by page.
 *
 * With a fan-out queue (deps.fanout) the first page, up to `inlinePageSize`, is handed on here
 * (small audiences: no queue hop); if the Query has more, the rest goes as one page job, queued
 * BEFORE the inline page is stored, so a queue that refuses it leaves nothing half accepted:
 * this throws, the publisher gets no ack, and its resend starts over. That job is a span: it
 * queues its pages and the next span (app/fanout-page.ts). Resolves once the inline page is stored and sent and the rest is
 * queued: "durably accepted", when the publish may be acked (docs/protocol.md §4).
 *
 * Without a queue every page is read and handed on here, as before.
 *
 * A publish's topic may be matched by filters (PROTOCOL §8): the audience is then the exact
 * topic's subscribers and each matching filter's, one copy per session at its best QoS: merged
 * here when it all fits the inline page, else by partition, page by page (app/fanout.ts).
 */
export async function deliver(deps: AppDeps, published: Delivery, messageId: string, now: number): Promise<DeliveryStats> {
  const stats = emptyStats();
  // PROTOCOL §4: an expired message goes to nobody, so its audience is not even read.
  if (isExpired({ messageExpiresAt: published.expiresAt }, now)) return stats;
  const { fanout } = deps;
  const delivery = await withMatchingFilters(deps, published, now);
  if (delivery.filters !== undefined) {
    const whole = await readWholeAudience(deps, delivery, now, fanout?.config.inlinePageSize);
    if (whole !== undefined) {
      for (let i = 0; i < whole.length; i += UNQUEUED_PAGE) await deliverTo(deps, whole.slice(i, i + UNQUEUED_PAGE), delivery, messageId, now, stats);
      return stats;
    }
  }
  if (fanout === undefined) {
    const pages =
      delivery.via === 'invoke'
        ? deps.stores.connections.membersOf(delivery.controller, now)
        : deps.stores.subscriptions.subscribersOf(delivery.controller, delivery.topic, now);
    for await (const page of pages) await deliverTo(deps, page, delivery, messageId, now, stats);
    return stats;
  }
  const first = await readAudiencePage(deps, delivery, now, { limit: fanout.config.inlinePageSize });
  if (first.next !== undefined) {
    await fanout.queue.send({ delivery, messageId, now, startKey: first.next, pageSize: fanout.config.jobPageSize, spanPages: fanout.config.spanPages });
    stats.queued += 1;
    deps.metrics?.count('PageJobsQueued', 1);
  }
  await deliverTo(deps, await onceAcross(deps, delivery, 0, first.recipients, now), delivery, messageId, now, stats);
  return stats;
}

/**
 * Delivers to the given recipients: store every entry first (batched), then send. `afterStore`
 * runs between the two (a page job marks its entries stored there: app/fanout-page.ts).
 * `sentAt`: when the sends go, if later than `now` (a page job's worker time: PROTOCOL §4
 * per-message expiry counts from then).
 */
export async function deliverTo(
  deps: AppDeps,
  recipients: Recipient[],
  delivery: Delivery,
  messageId: string,
  now: number,
  stats: DeliveryStats = emptyStats(),
  afterStore?: () => Promise<void>,
  sentAt: number = now,
): Promise<DeliveryStats> {
  const plan = planDelivery(recipients, delivery, messageId, now, deps.policy, sentAt);
  const held = await applyFlowControl(deps, plan, now);
  stats.recipients += recipients.length;
  stats.dropped += plan.dropped;
  if (plan.entries.length > 0) {
    if (delivery.rerun) await storeRerun(deps, plan, now);
    else await storeNew(deps, plan);
    stats.stored += plan.entries.length;
    deps.metrics?.count('PendingStored', plan.entries.length);
  }
  if (afterStore) await afterStore();
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
  // Entries stored parked for sessions that looked away: one may have connected and resumed meanwhile.
  if (plan.entries.some((entry) => entry.parked)) await unparkForConnectedSessions(deps, plan.entries, now, sentAt);
  if (held.length > 0) await recheckHeld(deps, held, now);
  return stats;
}

/**
 * A first run's entries: the first sends nothing counts go to putFirstSends (which may keep them
 * out of every read until due: docs/architecture.md "Sparse first sends"), the rest to putMany.
 * Flow control counts a recipient's entries in flight on every delivery in strict mode, and for
 * a session flagged backlogged in lazy mode: those stay listed, so the cap holds from the flag on.
 */
async function storeNew(deps: AppDeps, plan: DeliveryPlan): Promise<void> {
  const { pending } = deps.stores;
  const counted = deps.policy.maxInflight > 0 && deps.policy.flowControl === 'strict';
  const backlogged = new Set(plan.sends.filter((s) => s.backlogged === true && s.entry !== undefined).map((s) => s.entry as object));
  // A QoS 1 recipient of a QoS 2 delivery has a `:2` id, whose msgack reads the entry: listed.
  const first = counted ? [] : plan.entries.filter((e) => mayWaitUnlisted(e) && isQos1Id(e.id) && !backlogged.has(e));
  const chosen = new Set(first);
  await pending.putFirstSends(first, plan.entries.filter((e) => !chosen.has(e)));
}
