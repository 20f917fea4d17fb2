import type { DeliveryPlan, PlannedSend } from '../core/delivery.js';
import {
  addToFlowView,
  emptyFlowView,
  entriesToRelease,
  holdNew,
  mustHold,
  releaseHeld,
  stepFrame,
  wasSent,
  type FlowView,
} from '../core/pending.js';
import type { PendingEntry, ServerFrame } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { mapLimit } from './map-limit.js';
import { sendFrame, type SendResult } from './sender.js';

/**
 * Flow control (a cap on unacknowledged messages per client, `maxInflight`): beyond the cap a
 * QoS 1/2 message is stored `held` instead of sent, and sent as the client's acks free room,
 * oldest first. Nothing is dropped. The count is read from the session's own pending entries
 * (one Query per recipient per delivery), so there is no counter to drift after a crash; two
 * deliveries racing for the last slot may both get it, so the cap is exact up to concurrency.
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
 */

const key = (e: Pick<PendingEntry, 'sessionId' | 'id'>) => `${e.sessionId}\u0000${e.id}`;

/**
 * Holds, in the plan, the entries whose client is at its cap (or already has older ones held).
 * Returns the sends it took out, for recheckHeld once their entries are stored.
 */
export async function applyFlowControl(deps: AppDeps, plan: DeliveryPlan, now: number): Promise<PlannedSend[]> {
  const max = deps.policy.maxInflight;
  const candidates = plan.sends.filter((s) => s.entry !== undefined);
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
  await mapLimit([...bySession.values()], 16, (s) =>
    sendHeld(deps, s.sessionId, s.connectionId, (frame) => sendFrame(deps, s, frame), now),
  );
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
  const max = deps.policy.maxInflight;
  if (max <= 0) return 0;
  let sent = 0;
  for (const entry of entriesToRelease(await readFlowView(deps, sessionId, connectionId, now, max), max)) {
    const next = { ...releaseHeld(entry, now, deps.policy), connectionId, parked: false };
    if (await deps.stores.pending.replaceIf(next, entry.dueAt)) {
      // A dup only if it was sent before it was held (resume holds what did not fit).
      await send(stepFrame(next, wasSent(entry)));
      sent += 1;
    }
  }
  return sent;
}

/** Reads a session oldest first, no further than the decision needs (see addToFlowView). */
async function readFlowView(deps: AppDeps, sessionId: string, connectionId: string, now: number, heldWanted: number): Promise<FlowView> {
  const max = deps.policy.maxInflight;
  const view = emptyFlowView();
  for await (const page of deps.stores.pending.pagesOfSession(sessionId, now, max + 1)) {
    for (const entry of page) if (addToFlowView(view, entry, connectionId, max, heldWanted)) return view;
  }
  return view;
}
