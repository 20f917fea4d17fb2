/**
 * Writes to connected clients (API Gateway's management API, or the local runtime's).
 * A connection that no longer exists is a value, `'gone'`, not an exception; any other
 * failure throws.
 */
export interface ConnectionGateway {
  post(connectionId: string, frame: string): Promise<'ok' | 'gone'>;
  /** Closes a connection (session takeover). A connection already gone is fine. */
  disconnect(connectionId: string): Promise<void>;
}
