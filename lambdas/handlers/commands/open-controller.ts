import type { AppDeps } from '../../app/deps.js';
import type { FrameContext } from '../frame-context.js';

/**
 * PROTOCOL §1: "sending a frame to a controller opens it too". Checks that the controller
 * exists (UNKNOWN_CONTROLLER otherwise) and opens it for this connection once. A persistent
 * session's controller is the session's (PROTOCOL §4: invokeToAll reaches it while away too),
 * written first so the connection's list never names one fan-out cannot find.
 */
export async function openController(controller: string, context: FrameContext, deps: AppDeps): Promise<void> {
  deps.controllers.get(controller);
  const { connection, now } = context;
  if (connection.controllers.includes(controller)) return;
  if (connection.sessionKind === 'persistent') {
    const { connectionTtlMs, sessionTtlMs } = deps.policy;
    await deps.stores.connections.openSessionControllers(
      {
        sessionId: connection.sessionId,
        connectionId: connection.connectionId,
        sessionKind: connection.sessionKind,
        claimedQos: connection.claimedQos,
        format: connection.format,
        // As long as the session's subscriptions live (subscribe.ts).
        expiresAt: now + connectionTtlMs + sessionTtlMs,
      },
      [controller],
    );
  }
  await deps.stores.connections.openControllers(connection, [controller]);
  context.connection = { ...connection, controllers: [...connection.controllers, controller] };
  context.cache.remember(context.connection);
}
