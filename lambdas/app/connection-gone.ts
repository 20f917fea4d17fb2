import type { PlannedSend } from '../core/delivery.js';
import { handOver, park } from '../core/pending.js';
import type { PendingEntry } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { endConnection } from './janitor.js';
import { sendFrame } from './sender.js';
import { errorText } from '../ports/logger.js';

/**
 * A send found the connection gone (GoneException). API Gateway answers 410 too while the
 * connection's `$connect` still runs, so the gateway is asked first whether the connection is
 * open after all (GetConnection, only on this rare path): if so, the Gone was one of its
 * `$connect`, and nothing is ended: the frame is sent again (a QoS 1/2 entry claimed for it
 * first, so that a sweep does not send it too).
 *
 * Else, a persistent session keeps the entry for `resume`, parked; but if a newer connection
 * serves the session now (a takeover raced the send: its `resume` may have read the session
 * before this send claimed the entry), the entry is handed to that connection and stays in
 * flight instead. A clean session is removed with everything it had, and so is the entry of
 * this send: a clean session ends with its connection (PROTOCOL §4), so an entry aimed at a
 * gone one is of a session that ended, even when a fan-out stored it after a clean takeover
 * had deleted the session's entries (else the sweep posts it to the dead connection until the
 * attempt limit dead-letters it).
 */
export async function connectionGone(deps: AppDeps, send: PlannedSend, now: number): Promise<void> {
  deps.metrics?.count('GoneConnections');
  // The record is read before the gateway is asked: $connect writes it as its last step, so a
  // connection that is still not open once its record has been seen has closed (janitor.ts).
  const stored = await deps.stores.connections.get(send.connectionId, now);
  if (await openAfterAll(deps, send)) return sendAgain(deps, send, now);
  const { entry } = send;
  if (entry && send.sessionKind === 'clean') {
    // Conditional on the dueAt seen: an ack or a sweep that got there first has its way.
    await deps.stores.pending.deleteIf(entry, entry.dueAt);
  } else if (entry && !(await handToNewerConnection(deps, send, entry, now))) {
    const parked = await deps.stores.pending.replaceIf(park(entry), entry.dueAt, send.connectionId);
    if (parked && stored === undefined && send.sessionId !== send.connectionId) await unparkIfConnectedNow(deps, send, entry, parked, now);
  }
  await endConnection(deps, { ...send, stored }, now);
}

/**
 * The frame again, to the connection that is open after all. A QoS 1/2 entry is claimed first by
 * a conditional write on the dueAt the gone send left (an ack or a sweep that got there first
 * has its way); gone again, it stays in flight for the sweep.
 */
async function sendAgain(deps: AppDeps, send: PlannedSend, now: number): Promise<void> {
  const { entry } = send;
  if (entry && !(await deps.stores.pending.replaceIf(handOver(entry, send.connectionId, send.format, now, deps.policy), entry.dueAt))) return;
  await sendFrame(deps, send, send.frame);
}

/**
 * The entry was parked for a connection without a record, which the session may still point
 * at: one in its `$connect`. If the record is there now, that `$connect` has made its last
 * write, and the connection's `resume` may have read the entries before this one was parked:
 * it is claimed back and sent to the connection (gone again, it stays in flight for the
 * sweep). No record yet: its `resume`, which comes after `$connect` returns, will find it.
 */
async function unparkIfConnectedNow(deps: AppDeps, send: PlannedSend, inFlight: PendingEntry, parked: PendingEntry, now: number): Promise<void> {
  if ((await deps.stores.connections.get(send.connectionId, now)) === undefined) return;
  // A dueAt unlike both the parked one and the in-flight one: a resume that read the entry
  // in flight claims on that dueAt, and must not win against this claim (and send it twice).
  const handed = handOver(inFlight, send.connectionId, send.format, now, deps.policy);
  const next = { ...handed, dueAt: Math.max(handed.dueAt, inFlight.dueAt + 1) };
  // At its deadline already: the sweep dead-letters it, nothing to hand back.
  if (next.dueAt >= parked.dueAt) return;
  if (await deps.stores.pending.replaceIf(next, parked.dueAt)) await sendFrame(deps, send, send.frame);
}

/**
 * Whether the connection that answered Gone is open now. A failed question (throttling) counts
 * as open: ending a live connection loses its session, where leaving a dead one costs only the
 * next Gone, which asks again.
 */
async function openAfterAll(deps: AppDeps, send: PlannedSend): Promise<boolean> {
  try {
    return await deps.gateway.isOpen(send.connectionId);
  } catch (error) {
    deps.log.warn('Gone: could not ask whether the connection is open', {
      connectionId: send.connectionId,
      error: errorText(error),
    });
    return true;
  }
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
  // Gone as well (it may be in its $connect, or closed): the entry stays in flight on it, and
  // the sweep's next send, Gone or not, is handled as any other.
  await sendFrame(deps, { connectionId, format: session.format }, send.frame);
  return true;
}
