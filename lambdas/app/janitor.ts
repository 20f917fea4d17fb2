import { park } from '../core/pending.js';
import type { ConnectionRecord, SessionKind } from '../core/types.js';
import type { AppDeps } from './deps.js';

/** Enough of a connection to end it: what $disconnect or a gone send knows. */
export interface EndingConnection {
  connectionId: string;
  sessionId: string;
  sessionKind: SessionKind;
  controllers?: string[];
}

/**
 * Ends a connection that closed ($disconnect) or turned out gone on a send (PROTOCOL §4):
 * - a clean session goes with it: its connection, memberships, subscriptions, pending
 *   entries and inbound QoS 2 records;
 * - a persistent session stays: its subscriptions point at no connection and its pending
 *   entries are parked for `resume` (until the session TTL / message deadline).
 * If a newer connection has taken the session over (same clientId), the session is left alone.
 */
export async function endConnection(deps: Pick<AppDeps, 'stores' | 'policy'>, ending: EndingConnection, now: number): Promise<void> {
  const { connections, subscriptions, pending, inbound } = deps.stores;
  const stored: Pick<ConnectionRecord, 'connectionId' | 'controllers'> | undefined =
    ending.controllers !== undefined ? { connectionId: ending.connectionId, controllers: ending.controllers } : await connections.get(ending.connectionId, now);
  await connections.delete(stored ?? { connectionId: ending.connectionId, controllers: [] });

  if (!(await ownsSession(deps, ending, now))) return;

  if (ending.sessionKind === 'clean') {
    await Promise.all([
      subscriptions.deleteSession(ending.sessionId, now),
      pending.deleteSession(ending.sessionId, now),
      inbound.deleteSession(ending.sessionId, now),
    ]);
    return;
  }
  const sessionExpiresAt = now + deps.policy.sessionTtlMs;
  await subscriptions.attach(ending.sessionId, undefined, sessionExpiresAt, now);
  for (const entry of await pending.ofSession(ending.sessionId, now)) {
    // Conditional on dueAt: if a sweep or an ack touched it meanwhile, theirs stands.
    if (!entry.parked) await pending.replaceIf(park(entry), entry.dueAt);
  }
}

/** Whether this connection still serves its session, releasing the session record if so. */
async function ownsSession(deps: Pick<AppDeps, 'stores' | 'policy'>, ending: EndingConnection, now: number): Promise<boolean> {
  // Without a clientId the session is the connection itself: nobody else can hold it.
  if (ending.sessionId === ending.connectionId) return true;
  const { connections } = deps.stores;
  if (ending.sessionKind === 'clean') return connections.deleteSession(ending.sessionId, ending.connectionId);
  return connections.detachSession(ending.sessionId, ending.connectionId, now + deps.policy.sessionTtlMs);
}
