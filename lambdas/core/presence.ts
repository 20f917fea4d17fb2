import type { ConnectionRecord, Qos, Will } from './types.js';

/**
 * Presence (PROTOCOL §9): when a connection opens or ends, the server publishes on the reserved
 * controller `$presence`, topic `<clientId>` (the connection id when there is none), QoS 1,
 * retained, so a subscriber to `$presence` sees who is online now and every change after.
 * Pure: the app layer hands what this returns on as a publish.
 */

/** The reserved controller of presence messages (PROTOCOL §9). Clients cannot publish to it. */
export const PRESENCE_CONTROLLER = '$presence';

/** Why a connection ended, as its `disconnected` presence message says. */
export type PresenceReason = 'client disconnect' | 'gone' | 'idle timeout' | 'max duration' | 'takeover';

/** The `data` of a presence message (PROTOCOL §9). */
export interface PresenceData {
  event: 'connected' | 'disconnected';
  /** `null` for a connection that gave no clientId (its topic is then the connection id). */
  clientId: string | null;
  connectionId: string;
  at: number;
  reason?: PresenceReason;
}

/** A publish the server makes itself, shaped as a client's (app/hand-on.ts `Publication`). */
export interface ServerPublication {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
  retain: boolean;
}

/** API Gateway's hard limit on a connection's life (it then closes it with 1001 "Going away"). */
export const MAX_CONNECTION_DURATION_MS = 2 * 60 * 60 * 1000;

/**
 * How close to the 2 hour limit a 1001 close counts as that limit rather than the idle timeout
 * (both are 1001 "Going away": only the connection's age tells them apart). $disconnect runs a
 * little after the close, and the connection's `connectedAt` is the $connect Lambda's clock.
 */
export const MAX_DURATION_SLACK_MS = 60 * 1000;

/** Who the session is: the clientId, or `null` when the session is keyed by the connection. */
export function clientIdOf(connection: Pick<ConnectionRecord, 'sessionId' | 'connectionId'>): string | null {
  return connection.sessionId === connection.connectionId ? null : connection.sessionId;
}

/** The presence message of a connection that opened or ended (PROTOCOL §9: QoS 1, retained). */
export function presencePublication(
  connection: Pick<ConnectionRecord, 'sessionId' | 'connectionId'>,
  event: PresenceData['event'],
  at: number,
  reason?: PresenceReason,
): ServerPublication {
  const data: PresenceData = {
    event,
    clientId: clientIdOf(connection),
    connectionId: connection.connectionId,
    at,
    ...(reason !== undefined ? { reason } : {}),
  };
  return { controller: PRESENCE_CONTROLLER, topic: connection.sessionId, data, qos: 1, retain: true };
}

/** A will, published as the client's own publish would be (PROTOCOL §9). */
export function willPublication(will: Will): ServerPublication {
  return { controller: will.controller, topic: will.topic, data: will.data, qos: will.qos, retain: will.retain };
}

/**
 * Why API Gateway closed a connection, from its `$disconnect` event: 1001 is the idle timeout or
 * the 2 hour limit (told apart by the connection's age); a `disconnect` frame marked the record
 * first; anything else (the client closed or vanished, a limit broke the socket) is `gone`.
 */
export function disconnectReason(
  ended: { disconnecting?: boolean; connectedAt?: number },
  statusCode: number | undefined,
  now: number,
): PresenceReason {
  if (ended.disconnecting === true) return 'client disconnect';
  if (statusCode !== 1001) return 'gone';
  const age = ended.connectedAt === undefined ? 0 : now - ended.connectedAt;
  return age >= MAX_CONNECTION_DURATION_MS - MAX_DURATION_SLACK_MS ? 'max duration' : 'idle timeout';
}
