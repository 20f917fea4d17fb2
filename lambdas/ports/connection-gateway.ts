/**
 * Writes to connected clients (API Gateway's management API, or the local runtime's).
 * A connection that no longer exists is a value, `'gone'`, not an exception; any other
 * failure throws.
 */
export interface ConnectionGateway {
  post(connectionId: string, frame: string): Promise<'ok' | 'gone'>;
  /**
   * Closes a connection (session takeover, `disconnect`): `'gone'` when there was no open one to
   * close, either closed already or still in its `$connect` (API Gateway answers 410 to both).
   */
  disconnect(connectionId: string): Promise<'ok' | 'gone'>;
  /**
   * Whether the connection is open now (GetConnection: 200 open, 410 gone). API Gateway answers
   * 410 to a post while the connection's `$connect` still runs, and 200 once it has returned:
   * asked after a Gone, this tells a connection in its `$connect` from one that closed. Any
   * other failure throws.
   */
  isOpen(connectionId: string): Promise<boolean>;
}
