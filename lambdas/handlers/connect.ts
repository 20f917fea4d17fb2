import type { AppDeps } from '../app/deps.js';
import { announceEnd, END_CLAIM_LEASE_MS } from '../app/janitor.js';
import { utf8ByteLength } from '../core/frames/utf8.js';
import { presencePublication } from '../core/presence.js';
import { checkConnect, grantsFromContext } from '../core/auth/grants.js';
import { HandshakeError } from '../core/errors.js';
import { parseConnectParams } from '../core/frames/connect-params.js';
import type { ConnectionRecord, SessionRecord } from '../core/types.js';
import type { WebSocketEvent, WebSocketResult } from './events.js';
import { errorText } from '../ports/logger.js';

/**
 * $connect (PROTOCOL §1): validates the handshake (400 on a bad parameter), records the
 * connection and its open controllers, and sets up the session:
 * - a clientId already served by another connection is taken over, as in MQTT: the old
 *   connection is closed;
 * - a clean session starts empty (whatever an earlier session of that clientId left goes);
 * - a persistent session keeps its pending messages and subscriptions, which now point at
 *   this connection; the client sends `resume` to get what waited for it.
 * Nothing is posted to the connection here: API Gateway answers 410 until $connect returns.
 * PROTOCOL §9: a will given by query parameters is kept on the record; the taken-over
 * connection's will is published (reason `takeover`), then this one's `connected` presence.
 */
export function createConnectHandler(deps: AppDeps): (event: WebSocketEvent) => Promise<WebSocketResult> {
  return async (event) => {
    const now = deps.clock.now();
    const { connectionId } = event.requestContext;
    try {
      const params = parseConnectParams(event.queryStringParameters, event.headers, event.multiValueQueryStringParameters);
      const unknown = params.controllers.filter((c) => !deps.controllers.has(c));
      if (unknown.length > 0) throw new HandshakeError(400, `unknown controller: ${unknown.join(', ')}`);
      if (params.will !== undefined) checkWill(deps, params.will);
      // The authorizer already checked this; checked again so $connect never relies on it alone.
      const grants = grantsFromContext(event.requestContext.authorizer);
      const decision = grants ? checkConnect(grants, params) : { allowed: true as const };
      if (!decision.allowed) throw new HandshakeError(403, decision.reason);

      const { policy, stores } = deps;
      const sessionId = params.clientId ?? connectionId;
      const connection: ConnectionRecord = {
        connectionId,
        sessionId,
        sessionKind: params.sessionKind,
        claimedQos: params.claimedQos,
        format: params.format,
        controllers: params.controllers,
        connectedAt: now,
        expiresAt: now + policy.connectionTtlMs,
        ...(params.will !== undefined ? { will: params.will } : {}),
      };
      const stored = params.clientId !== undefined ? await takeOverSession(deps, connection, now) : connection;
      // PROTOCOL §9 presence, before the record: the record is $connect's last write (a Gone send
      // that has seen it knows the $connect returned: app/connection-gone.ts).
      await deps.serverPublish(presencePublication(connection, 'connected', now), { sessionId, connectionId }, now);
      if (params.clientId === undefined) await stores.connections.put(stored);
      else if (!(await stores.connections.putIfServing(stored, now))) throw new HandshakeError(409, TAKEN_WHILE_CONNECTING);
      deps.log.info('Connected', { connectionId, sessionId, sessionKind: connection.sessionKind, qos: connection.claimedQos, controllers: connection.controllers });
      return { statusCode: 200 };
    } catch (error) {
      if (error instanceof HandshakeError) {
        deps.log.info('Connect refused', { connectionId, status: error.statusCode, message: error.message });
        return { statusCode: error.statusCode, body: error.message };
      }
      deps.log.error('Connect failed', { connectionId, error: errorText(error) });
      return { statusCode: 500, body: 'internal error' };
    }
  };
}

/** The refusal of a `$connect` whose session a newer connection of the clientId took first (see takeSession). */
export const TAKEN_WHILE_CONNECTING = 'taken over: a newer connection with this clientId took the session while this one was connecting';

/** A will from the query: its controller must exist and its data fit, as a publish's (400 otherwise). */
function checkWill(deps: AppDeps, will: NonNullable<ConnectionRecord['will']>): void {
  if (!deps.controllers.has(will.controller)) throw new HandshakeError(400, `unknown willController: ${will.controller}`);
  const bytes = utf8ByteLength(JSON.stringify(will.data) ?? 'null');
  if (bytes > deps.policy.maxDataBytes) throw new HandshakeError(400, `willData is ${bytes} bytes serialized; the limit is ${deps.policy.maxDataBytes}`);
}

/**
 * Takes the clientId's session for this connection and returns the connection record to
 * store: a persistent session's controllers (the ones it inherits and the ones asked for)
 * are the session's, so invokeToAll reaches it while it is away too (PROTOCOL §4).
 *
 * The session record is written first (conditional on it being as read: concurrent `$connect`s of
 * the clientId take it one after the other): from then on every conditional write of the
 * previous connection's cleanup fails, so nothing it does lands on what this connection takes over.
 */
async function takeOverSession(deps: AppDeps, connection: ConnectionRecord, now: number): Promise<ConnectionRecord> {
  const { stores, policy } = deps;
  const { sessionId, connectionId } = connection;
  const persistent = connection.sessionKind === 'persistent';
  const session: SessionRecord = {
    sessionId,
    sessionKind: connection.sessionKind,
    connectionId,
    claimedQos: connection.claimedQos,
    format: connection.format,
    expiresAt: now + policy.connectionTtlMs + (persistent ? policy.sessionTtlMs : 0),
  };
  const previous = await takeSession(deps, session, now);
  // A clean start clears the clientId's leftovers even when no session record is left: a late
  // fan-out may have stored an entry after the last clean session's cleanup (a held one is
  // never posted, so no Gone removes it, and it would count against this session's cap).
  if (!persistent || previous?.sessionKind === 'clean') {
    await Promise.all([
      stores.subscriptions.deleteSession(sessionId, now),
      stores.pending.deleteSession(sessionId, now),
      stores.inbound.deleteSession(sessionId, now),
      stores.connections.deleteSessionControllers(sessionId, now),
    ]);
  }
  if (!persistent) return connection;

  // Subscriptions and memberships carry what fan-out needs, so they learn the new connection and claim.
  const member = { sessionId, connectionId, sessionKind: connection.sessionKind, claimedQos: connection.claimedQos, format: connection.format, expiresAt: session.expiresAt };
  let inherited: string[] = [];
  if (previous?.sessionKind === 'persistent') {
    for (const subscription of await stores.subscriptions.ofSession(sessionId, now)) {
      await stores.subscriptions.put({ ...subscription, connectionId, claimedQos: connection.claimedQos, format: connection.format, expiresAt: session.expiresAt });
    }
    inherited = await stores.connections.attachSessionControllers(member, now);
  }
  // Written only while this connection serves the session: false means a newer one took it.
  const serving = await stores.connections.openSessionControllers(member, connection.controllers);
  if (!serving && previous?.sessionKind === 'persistent') await handOnIfTakenOver(deps, connection, now);
  return { ...connection, controllers: [...new Set([...connection.controllers, ...inherited])] };
}

/** Tries of a takeover that another `$connect` of the same clientId got in the way of. */
const TAKEOVER_TRIES = 3;

/**
 * Reads the clientId's session, closes the connection serving it (MQTT [MQTT-3.1.4-2]: a
 * second connection with the same client id closes the first) and writes the session for this
 * connection, only if nobody took it since the read (ConnectionStore.putSessionIf). If another
 * `$connect` of the clientId did, that one is the previous connection now: read, close and try
 * again. Returns the session as it was before (what this one takes over).
 *
 * A previous connection still in its own `$connect` has no record yet, so there is nothing to
 * take an end of: once the session is this connection's, its record is looked for once more.
 * Found, it is ended and closed here. Not found, it never will be: a clientId's `$connect`
 * writes its record only while the session still names it (ConnectionStore.putIfServing), so
 * that one refuses its handshake (409) instead of opening beside this one.
 */
async function takeSession(deps: AppDeps, session: SessionRecord, now: number): Promise<SessionRecord | undefined> {
  const { stores } = deps;
  const { sessionId, connectionId } = session;
  for (let attempt = 1; ; attempt += 1) {
    const previous = await stores.connections.getSession(sessionId, now);
    const previousId = previous?.connectionId !== undefined && previous.connectionId !== connectionId ? previous.connectionId : undefined;
    // PROTOCOL §9: the takeover ends the previous connection, so it takes its end (before the
    // close, whose $disconnect then finds it taken): its will, and `disconnected` (takeover).
    const ended = previousId === undefined ? undefined : await endPrevious(deps, previousId, sessionId, now);
    if (await stores.connections.putSessionIf(session, previous, now)) {
      if (previousId !== undefined && !ended) await endPrevious(deps, previousId, sessionId, now);
      return previous;
    }
    if (attempt >= TAKEOVER_TRIES) throw new Error(`session ${sessionId}: ${TAKEOVER_TRIES} concurrent connects of the clientId took it first`);
  }
}

/**
 * Takes the previous connection's end, closes it and announces it (its will, `disconnected`
 * with reason `takeover`). Returns false if there was no end to take: no record (its `$connect`
 * is still running), or someone else (its `$disconnect`, another takeover) took it.
 */
async function endPrevious(deps: AppDeps, previousId: string, sessionId: string, now: number): Promise<boolean> {
  const ended = await deps.stores.connections.claimEnd(previousId, now, now - END_CLAIM_LEASE_MS);
  if (!ended) return false;
  await closeWhenOpen(deps, previousId, sessionId);
  await announceEnd(deps, ended, 'takeover', true, now);
  return true;
}

/** How long a takeover waits for a previous connection whose record it saw to open, step by step (about 1.6 s in all). */
const OPENING_WAITS_MS = [25, 50, 100, 200, 400, 800];

/**
 * Closes the previous connection (DeleteConnection). A 410 means it is closed already, or that
 * its `$connect`, whose last write (the record) we saw, has not returned yet: API Gateway opens
 * it once that returns, and a close sent before then is lost. So on 410 this waits for it to
 * open (GetConnection) and closes it then; it stops once its record is gone (its `$disconnect`
 * ran: it was closed) or after about 1.6 s. Only in this race; without `deps.pause` (tests that
 * step time themselves) it does not wait.
 */
async function closeWhenOpen(deps: AppDeps, previousId: string, sessionId: string): Promise<void> {
  const { gateway, stores, pause } = deps;
  const close = (): Promise<'ok' | 'gone'> =>
    gateway.disconnect(previousId).catch((error: unknown) => {
      deps.log.warn('Takeover: closing the previous connection failed', { sessionId, previous: previousId, error: String(error) });
      return 'ok' as const;
    });
  if ((await close()) === 'ok' || pause === undefined) return;
  for (const wait of OPENING_WAITS_MS) {
    await pause(wait);
    if (await gateway.isOpen(previousId)) {
      await close();
      return;
    }
    if ((await stores.connections.get(previousId, deps.clock.now())) === undefined) return;
  }
}

/**
 * A `$connect` of the same clientId took the session over while this one was re-pointing the
 * subscriptions, and this one's unconditional re-point may have landed after the newer one's.
 * Memberships are written only while this connection serves the session; the subscriptions
 * are handed on here: what still points at
 * this connection goes to the session's owner (or to none, if it is away; or is deleted, if the
 * owner started clean), conditionally.
 */
async function handOnIfTakenOver(deps: AppDeps, connection: ConnectionRecord, now: number): Promise<void> {
  const { stores } = deps;
  const owner = await stores.connections.getSession(connection.sessionId, now);
  if (owner === undefined || owner.connectionId === connection.connectionId) return;
  // Taken by a clean start, which deleted the session's subscriptions: ours go too.
  if (owner.sessionKind === 'clean') return stores.subscriptions.deleteOfConnection(connection.sessionId, connection.connectionId, now);
  const to = { claimedQos: owner.claimedQos, format: owner.format, ...(owner.connectionId !== undefined ? { connectionId: owner.connectionId } : {}) };
  await stores.subscriptions.repoint(connection.sessionId, connection.connectionId, to, owner.expiresAt, now);
}
