import type { ConnectionIdentity, DisconnectInfo, GatewayErrorContext, GatewayObserver } from './types.js';

/** A {@link GatewayObserver} whose hooks are all present and never throw. */
export interface SafeObserver {
  frameIn(connectionId: string, data: string): void;
  frameOut(connectionId: string, data: string): void;
  connected(connectionId: string, identity: ConnectionIdentity): void;
  disconnected(connectionId: string, info: DisconnectInfo): void;
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
        error(cause, { phase: `observer.${name}`, ...(typeof args[0] === 'string' ? { connectionId: args[0] } : {}) });
      }
    };
  return {
    frameIn: guard('frameIn', observer.frameIn),
    frameOut: guard('frameOut', observer.frameOut),
    connected: guard('connected', observer.connected),
    disconnected: guard('disconnected', observer.disconnected),
    error,
  };
}
