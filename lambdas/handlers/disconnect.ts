import type { AppDeps } from '../app/deps.js';
import { endConnection } from '../app/janitor.js';
import { OK, type WebSocketEvent, type WebSocketResult } from './events.js';
import { errorText } from '../ports/logger.js';

/**
 * $disconnect: a clean session goes with its connection; a persistent one waits (janitor.ts).
 * Unless a `disconnect` frame came first, the connection's will is published, and its
 * `disconnected` presence says why it closed (PROTOCOL §9).
 */
export function createDisconnectHandler(deps: AppDeps): (event: WebSocketEvent) => Promise<WebSocketResult> {
  return async (event) => {
    const now = deps.clock.now();
    const { connectionId, disconnectStatusCode, disconnectReason } = event.requestContext;
    try {
      const connection = await deps.stores.connections.get(connectionId, now);
      if (connection) await endConnection(deps, { ...connection, ...(disconnectStatusCode !== undefined ? { disconnectStatusCode } : {}) }, now);
      deps.log.info('Disconnected', { connectionId, sessionId: connection?.sessionId, status: disconnectStatusCode, reason: disconnectReason });
    } catch (error) {
      // $disconnect is best effort in API Gateway too; TTLs remove what this could not.
      deps.log.error('Disconnect cleanup failed', { connectionId, error: errorText(error) });
    }
    return OK;
  };
}
