import type { DeliveryPlan, PlannedSend } from '../core/delivery.js';
import {
  ackShowsBacklog,
  addToFlowView,
  emptyFlowView,
  entriesToRelease,
  holdNew,
  isExpiredEntry,
  mayClearBacklog,
  mustHold,
  releaseHeld,
  stepFrame,
  wasSent,
  type FlowView,
} from '../core/pending.js';
import type { PendingEntry, ServerFrame } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { dropExpired } from './expired.js';
import { mapLimit } from './map-limit.js';
import { sendFrame, type SendResult } from './sender.js';

/**
 * Flow control (a cap on unacknowledged messages per client, `maxInflight`): beyond the cap a
 * QoS 1/2 message is stored `held` instead of sent, and sent as the client's acks free room,
 * oldest first. Nothing is dropped. The count is read from the session's own pending entries
 * (one Query per checked recipient per delivery: every recipient in strict mode, a flagged one
 * in lazy mode), so there is no counter to drift after a crash; two deliveries racing for the
 * last slot may both get it, so the cap is exact up to concurrency.
 * The read walks the session oldest first and stops once the answer is known: a client with a
 * backlog of thousands held costs a read of about `maxInflight` entries, not of its backlog.
 *
 * No held entry can wait for an ack that already came: an ack deletes, then reads the session
 * (sendHeld); a delivery that holds stores, then reads the session (recheckHeld). Whichever of
 * the two reads second sees the other's write and sends the held entry.
 *
 * The cap is per connection: only entries in flight on, or held for, the connection being
 * sent to count. A persistent session's parked backlog (and entries of an older connection
 * whose $disconnect is late) wait for `resume` and make no new message wait behind them.
 *
 * Lazy mode (policy.flowControl `lazy`, the default; docs/protocol.md "Flow control"): the read
 * is made only for recipients flagged `backlogged`, so a client that keeps up costs none.
 *
 *   flagged  by the sweep resending to a connected session (it missed an ack timeout), by an
 *            ack sent more than the ack timeout after its message, and by every hold (recheckHeld, resume);
 *   read     by every ack frame: one strongly consistent read of the session's flag
 *            (ConnectionStore.getBacklog); only a flagged session's acks read its entries;
 *   cleared  by an ack that finds nothing held and at most half the cap in flight.
 *
 * No held entry waits for an ack that already came, in lazy mode either: a hold stores the entry,
 * then flags the session, then reads it (recheckHeld); an ack deletes, then reads the flag. If the
 * ack's read of the flag comes after the flagging, the ack reads the session and sees the held
 * entry; if before, the ack's delete came before the hold's own read, which sees the room. A clear
 * is conditional on the flag's epoch as the clearer read it before reading the session, so a
 * flagging in between wins.
 */

const key = (e: Pick<PendingEntry, 'sessionId' | 'id'>) => `${e.sessionId}\u0000${e.id}`;

/**
 * Holds, in the plan, the entries whose client is at its cap (or already has older ones held).
 * Returns the sends it took out, for recheckHeld once their entries are stored.
 */
export async function applyFlowControl(deps: AppDeps, plan: DeliveryPlan, now: number): Promise<PlannedSend[]> {
  const max = deps.policy.maxInflight;
  const lazy = deps.policy.flowControl === 'lazy';
  // Lazy: only recipients whose session showed backlog are checked (the rest cost no read).
  const candidates = plan.sends.filter((s) => s.entry !== undefined && (!lazy || s.backlogged === true));
  if (max <= 0 || candidates.length === 0) return [];
  const held = new Set<string>();
  await mapLimit(candidates, 16, async (send) => {
    // One held entry is enough to know: a new message waits behind older held ones, to keep the order.
    if (mustHold(await readFlowView(deps, send.sessionId, send.connectionId, now, 1), max)) held.add(key(send.entry as PendingEntry));
  });
  if (held.size === 0) return [];
  const isHeld = (s: PlannedSend) => s.entry !== undefined && held.has(key(s.entry));
  const heldSends = plan.sends.filter(isHeld);
  plan.entries = plan.entries.map((e) => (held.has(key(e)) ? holdNew(e) : e));
  plan.sends = plan.sends.filter((s) => !isHeld(s));
  return heldSends;
}

/**
 * After the held entries are stored: reads each of their sessions again and sends what there is
 * room for now, because an ack may have freed room between applyFlowControl's read and the store.
 */
export async function recheckHeld(deps: AppDeps, heldSends: PlannedSend[], now: number): Promise<void> {
  const bySession = new Map(heldSends.map((s) => [s.sessionId, s]));
  await mapLimit([...bySession.values()], 16, async (s) => {
    // Lazy: the recipient came flagged, but an ack may have cleared the session's flag since; the
    // flag must be on before the read, or the acks that free room would not look (see above).
    if (deps.policy.flowControl === 'lazy') await deps.stores.connections.flagBacklog(s.sessionId, flagExpiry(deps, now));
    await sendHeld(deps, s.sessionId, s.connectionId, (frame) => sendFrame(deps, s, frame), now);
  });
}

/**
 * After a msgack frame acked something: strict mode sends the oldest held entries now there is
 * room (a read of the session). Lazy mode reads only the session's flag: unflagged (a client
 * that keeps up), nothing more, unless the client sent the ack more than the ack timeout after the message, which
 * flags it; flagged, it sends held entries as strict mode does, and takes the flag off once the
 * client has caught up. `handedOnAt`: when the oldest acked message was handed on, if known;
 * `ackedAt`: when the client's ack reached the gateway (a frame that waited for a busy handler
 * was not late by the client's doing).
 */
export async function afterAcks(
  deps: AppDeps,
  target: { sessionId: string; connectionId: string },
  send: (frame: ServerFrame) => Promise<SendResult>,
  now: number,
  handedOnAt?: number,
  ackedAt: number = now,
): Promise<void> {
  const max = deps.policy.maxInflight;
  if (max <= 0) return;
  const { sessionId, connectionId } = target;
  if (deps.policy.flowControl === 'strict') {
    await sendHeld(deps, sessionId, connectionId, send, now);
    return;
  }
  const flag = await deps.stores.connections.getBacklog(sessionId, now);
  if (!flag.backlogged) {
    if (ackShowsBacklog(handedOnAt, ackedAt, deps.policy)) await markBacklogged(deps, sessionId, connectionId, now);
    return;
  }
  const { view, released } = await releaseFromView(deps, sessionId, connectionId, send, now);
  if (mayClearBacklog(view, released, max)) await unmarkBacklogged(deps, sessionId, connectionId, flag.epoch, now);
}

/**
 * Flags a session as backlogged (lazy flow control): on what fan-out reads (its memberships and
 * subscriptions), then on the session's flag that acks read. Idempotent; costs writes, so it is
 * only done where a session showed backlog.
 */
export async function markBacklogged(deps: AppDeps, sessionId: string, connectionId: string, now: number): Promise<void> {
  await deps.stores.connections.markMemberships(sessionId, connectionId, true, now);
  await deps.stores.subscriptions.markSession(sessionId, true, now);
  await deps.stores.connections.flagBacklog(sessionId, flagExpiry(deps, now));
}

/**
 * Takes the flag off what fan-out reads, then off the session's flag if nobody flagged it since
 * `seenEpoch`; if somebody did, what fan-out reads is flagged again (that flagging may have
 * written it before this took it off).
 */
async function unmarkBacklogged(deps: AppDeps, sessionId: string, connectionId: string, seenEpoch: number, now: number): Promise<void> {
  await deps.stores.connections.markMemberships(sessionId, connectionId, false, now);
  await deps.stores.subscriptions.markSession(sessionId, false, now);
  if (await deps.stores.connections.clearBacklog(sessionId, seenEpoch)) return;
  await deps.stores.connections.markMemberships(sessionId, connectionId, true, now);
  await deps.stores.subscriptions.markSession(sessionId, true, now);
}

/** A flag outlives whatever it can be about: no entry lives past its deadline plus the grace. */
function flagExpiry(deps: AppDeps, now: number): number {
  return now + deps.policy.messageTtlMs + deps.policy.expiryGraceMs;
}

/**
 * After acks freed room: sends the session's oldest held entries, as many as the cap allows,
 * over `connectionId` (each claimed by a conditional write, so a concurrent ack sends it once).
 */
export async function sendHeld(
  deps: AppDeps,
  sessionId: string,
  connectionId: string,
  send: (frame: ServerFrame) => Promise<SendResult>,
  now: number,
): Promise<number> {
  if (deps.policy.maxInflight <= 0) return 0;
  return (await releaseFromView(deps, sessionId, connectionId, send, now)).sent;
}

/** Reads the session and sends what there is room for; returns the view and how many it tried and sent. */
async function releaseFromView(
  deps: AppDeps,
  sessionId: string,
  connectionId: string,
  send: (frame: ServerFrame) => Promise<SendResult>,
  now: number,
): Promise<{ view: FlowView; released: number; sent: number }> {
  const max = deps.policy.maxInflight;
  const view = await readLiveFlowView(deps, sessionId, connectionId, now, max);
  const release = entriesToRelease(view, max);
  let sent = 0;
  for (const entry of release) {
    const next = { ...releaseHeld(entry, now, deps.policy), connectionId, parked: false };
    if (await deps.stores.pending.replaceIf(next, entry.dueAt)) {
      // A dup only if it was sent before it was held (resume holds what did not fit).
      await send(stepFrame(next, wasSent(entry), now));
      sent += 1;
    }
  }
  // One not claimed was released (or dead-lettered) by someone else at the same time: not held either.
  return { view, released: release.length, sent };
}

/** How often a release reads the session again after dropping expired held entries (the sweep drops the rest). */
const EXPIRED_REREADS = 10;

/**
 * The flow view without held entries whose message expired while they waited (PROTOCOL §4:
 * dropped, not sent). Their room is the next ones': the read stopped at as many held entries as
 * there was room for, so it is made again once they are dropped.
 */
async function readLiveFlowView(deps: AppDeps, sessionId: string, connectionId: string, now: number, heldWanted: number): Promise<FlowView> {
  for (let round = 0; ; round += 1) {
    const view = await readFlowView(deps, sessionId, connectionId, now, heldWanted);
    const expired = view.held.filter((entry) => isExpiredEntry(entry, now));
    if (expired.length === 0) return view;
    await mapLimit(expired, 16, (entry) => dropExpired(deps, entry));
    if (round + 1 >= EXPIRED_REREADS) return { ...view, held: view.held.filter((entry) => !isExpiredEntry(entry, now)), complete: false };
  }
}

/** Reads a session oldest first, no further than the decision needs (see addToFlowView). */
async function readFlowView(deps: AppDeps, sessionId: string, connectionId: string, now: number, heldWanted: number): Promise<FlowView> {
  const max = deps.policy.maxInflight;
  const view = emptyFlowView();
  for await (const page of deps.stores.pending.pagesOfSession(sessionId, now, max + 1)) {
    for (const entry of page) if (addToFlowView(view, entry, connectionId, max, heldWanted)) return view;
  }
  view.complete = true;
  return view;
}
