import type { CloseDetail, ConnectDetail, ConnectionIdentity, DisconnectInfo, GatewayErrorContext, GatewayObserver, HandshakeRefusal } from './types.js';

/** A {@link GatewayObserver} whose hooks are all present and never throw. */
export interface SafeObserver {
  frameIn(connectionId: string, data: string): void;
  frameOut(connectionId: string, data: string): void;
  connected(connectionId: string, identity: ConnectionIdentity, detail: ConnectDetail): void;
  refused(refusal: HandshakeRefusal): void;
  disconnected(connectionId: string, info: DisconnectInfo, detail: CloseDetail): void;
  error(error: unknown, context: GatewayErrorContext): void;
}

/**
 * Wraps the caller's observer so that a logging hook that throws can never break a connection:
 * its error goes to `error` (and an `error` hook that throws is dropped).
 */
export function safeObserver(observer: GatewayObserver = {}): SafeObserver {
  const error = (cause: unknown, context: GatewayErrorContext): void => {
    try {
      observer.error?.(cause, context);
    } catch {
      // Nowhere left to report it; dropping it keeps the gateway up.
    }
  };
  const guard =
    <A extends unknown[]>(name: string, hook: ((...args: A) => void) | undefined) =>
    (...args: A): void => {
      try {
        hook?.apply(observer, args);
      } catch (cause) {
        const connectionId = typeof args[0] === 'string' ? args[0] : (args[0] as { connectionId?: unknown } | undefined)?.connectionId;
        error(cause, { phase: `observer.${name}`, ...(typeof connectionId === 'string' ? { connectionId } : {}) });
      }
    };
  return {
    frameIn: guard('frameIn', observer.frameIn),
    frameOut: guard('frameOut', observer.frameOut),
    connected: guard('connected', observer.connected),
    refused: guard('refused', observer.refused),
    disconnected: guard('disconnected', observer.disconnected),
    error,
  };
}
