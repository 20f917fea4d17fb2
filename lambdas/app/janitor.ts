import { park } from '../core/pending.js';
import { disconnectReason, presencePublication, willPublication, type PresenceReason } from '../core/presence.js';
import type { ConnectionRecord, SessionKind } from '../core/types.js';
import type { AppDeps } from './deps.js';

/**
 * How long a taken end (ConnectionStore.claimEnd) keeps other enders off: longer than any
 * Lambda runs (15 minutes at most), so only the end of an ender that died can be taken again.
 */
export const END_CLAIM_LEASE_MS = 15 * 60 * 1000;

/** What ending a connection needs: the stores and, for its will and presence, the server's publish. */
export type JanitorDeps = Pick<AppDeps, 'stores' | 'policy' | 'serverPublish'>;

/** Enough of a connection to end it: what $disconnect or a gone send knows. */
export interface EndingConnection {
  connectionId: string;
  sessionId: string;
  sessionKind: SessionKind;
  controllers?: string[];
  /**
   * The connection's record as the caller read it, `undefined` if it found none: given, it is
   * not read again (a gone send reads it before asking the gateway whether it is open).
   */
  stored?: Pick<ConnectionRecord, 'connectionId' | 'controllers'> | undefined;
  /** `$disconnect`'s disconnectStatusCode: with the record's age it tells the presence reason (core/presence.ts). */
  disconnectStatusCode?: number;
}

/**
 * Ends a connection that closed ($disconnect) or turned out gone on a send (PROTOCOL §4):
 * - a clean session goes with it: its connection, memberships, subscriptions, pending
 *   entries and inbound QoS 2 records;
 * - a persistent session stays: its subscriptions and controller memberships point at no
 *   connection and its pending entries are parked for `resume` (until the session TTL /
 *   message deadline).
 * If a newer connection has taken the session over (same clientId), the session is left alone.
 * And because that can happen while this runs ($disconnect is late, Lambdas race), every
 * write made here for the session is conditional on the item still belonging to the ending
 * connection (issue 12 C): what a newer connection re-pointed or made is never undone.
 * A connection of a clientId that has no record (still in its $connect, or ended already)
 * leaves the session alone.
 *
 * PROTOCOL §9: the one ender that takes the connection's end (claimEnd, one conditional write)
 * publishes its will, and, if the connection still served its session, its `disconnected`
 * presence (a takeover's `$connect` took both already: handlers/connect.ts). Both are published
 * after the session's cleanup and before the record goes, so a crash in between leaves the
 * record for a later Gone, which finds the end taken (see END_CLAIM_LEASE_MS).
 */
export async function endConnection(deps: JanitorDeps, ending: EndingConnection, now: number): Promise<void> {
  const { connections } = deps.stores;
  const stored: Pick<ConnectionRecord, 'connectionId' | 'controllers'> | undefined =
    'stored' in ending
      ? ending.stored
      : ending.controllers !== undefined
        ? { connectionId: ending.connectionId, controllers: ending.controllers }
        : await connections.get(ending.connectionId, now);
  // A clientId's session without this connection's record: its $connect has not returned
  // yet (API Gateway answers 410 until then, and the takeover already pointed the session
  // at it), or it was ended already. Neither is ours to end. (A record alone does not say
  // that $connect has returned: a gone send asks the gateway too, connection-gone.ts.) (Keyed by the connection, a
  // session cannot be reached before its record is written: nothing to wait for.)
  if (stored === undefined && ending.sessionId !== ending.connectionId) return;
  const claimed = await connections.claimEnd(ending.connectionId, now, now - END_CLAIM_LEASE_MS);
  const owns = await ownsSession(deps, ending, now);
  if (owns) await endSession(deps, ending, now);
  if (claimed) await announceEnd(deps, claimed, disconnectReason(claimed, ending.disconnectStatusCode, now), owns, now);
  // The record goes last: a cleanup that fails half way leaves it, so a later Gone finishes it.
  await connections.delete(stored ?? { connectionId: ending.connectionId, controllers: [] });
}

/**
 * What the end of a connection publishes (PROTOCOL §9), by the one who took it: its will, unless
 * a `disconnect` frame dropped it, then (`presence`: the connection served its session to the
 * end, so no newer connection's `connected` is the clientId's truth now) its `disconnected`.
 */
export async function announceEnd(deps: Pick<AppDeps, 'serverPublish'>, claimed: ConnectionRecord, reason: PresenceReason, presence: boolean, now: number): Promise<void> {
  const sender = { sessionId: claimed.sessionId, connectionId: claimed.connectionId };
  if (claimed.will !== undefined) await deps.serverPublish(willPublication(claimed.will), sender, now);
  if (presence) await deps.serverPublish(presencePublication(claimed, 'disconnected', now, reason), sender, now);
}

/** What goes with, or stays for, the session of a connection that served it to the end. */
async function endSession(deps: JanitorDeps, ending: EndingConnection, now: number): Promise<void> {
  const { connections, subscriptions, pending, inbound } = deps.stores;
  if (ending.sessionKind === 'clean') {
    // Keyed by the connection itself, the session is nobody else's: all of it goes. With a
    // clientId, a fast reconnect may already have made its own: only this connection's go.
    const own = ending.sessionId === ending.connectionId;
    await Promise.all([
      own ? subscriptions.deleteSession(ending.sessionId, now) : subscriptions.deleteOfConnection(ending.sessionId, ending.connectionId, now),
      deletePendingOf(deps, ending, now),
      own ? inbound.deleteSession(ending.sessionId, now) : inbound.deleteOfConnection(ending.sessionId, ending.connectionId, now),
    ]);
    return;
  }
  const sessionExpiresAt = now + deps.policy.sessionTtlMs;
  await Promise.all([
    subscriptions.detach(ending.sessionId, ending.connectionId, sessionExpiresAt, now),
    connections.detachSessionControllers(ending.sessionId, ending.connectionId, sessionExpiresAt, now),
  ]);
  for (const entry of await pending.ofSession(ending.sessionId, now)) {
    // Only this connection's entries, conditional on dueAt: if a sweep, an ack or a newer
    // connection's resume touched one meanwhile, theirs stands.
    // And on the connection: a held entry's dueAt is its deadline, as a parked one's, so a
    // newer connection's resume that held it for itself changed nothing else we could see.
    if (!entry.parked && entry.connectionId === ending.connectionId) await pending.replaceIf(park(entry), entry.dueAt, ending.connectionId);
  }
}

/** A clean session's pending entries, as its subscriptions: with a clientId, each of this connection's conditional on the dueAt seen. */
async function deletePendingOf(deps: Pick<AppDeps, 'stores'>, ending: EndingConnection, now: number): Promise<void> {
  const { pending } = deps.stores;
  if (ending.sessionId === ending.connectionId) return pending.deleteSession(ending.sessionId, now);
  for (const entry of await pending.ofSession(ending.sessionId, now)) {
    if (entry.connectionId === ending.connectionId) await pending.deleteIf(entry, entry.dueAt);
  }
}

/** Whether this connection still serves its session, releasing the session record if so. */
async function ownsSession(deps: JanitorDeps, ending: EndingConnection, now: number): Promise<boolean> {
  // Without a clientId the session is the connection itself: nobody else can hold it.
  if (ending.sessionId === ending.connectionId) return true;
  const { connections } = deps.stores;
  if (ending.sessionKind === 'clean') return connections.deleteSession(ending.sessionId, ending.connectionId);
  return connections.detachSession(ending.sessionId, ending.connectionId, now + deps.policy.sessionTtlMs);
}
