/**
 * The transport port: the shape of the browser's WebSocket, which `ws` also offers. The
 * browser passes its global `WebSocket`, Node passes `ws` (client/node.ts), tests a fake.
 * Only the members the client uses are named, so any conforming socket fits.
 */

/** `readyState` values (the WebSocket standard's). */
export const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** A handshake the server answered with an HTTP error instead of 101 (PROTOCOL §1: e.g. 400, 401, 403). */
export interface HandshakeRefusal {
  /** The HTTP status. */
  status: number;
  /** The response body as text (the server's reason, e.g. `unknown controller: nope`), possibly cut short. */
  body: string;
}

export interface WebSocketLike {
  readonly readyState: number;
  /**
   * Set, before `onclose`, by a transport that can read a refused handshake's response (the
   * Node transport, client/node.ts). A browser's WebSocket cannot: it reports only a close 1006.
   */
  readonly refusal?: HandshakeRefusal | undefined;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** `new WebSocket(url)`: the browser global, the `ws` class, or a test double. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The text of a message event (`ws` hands text frames over as strings too; a Buffer is tolerated). */
export function messageText(event: { data: unknown }): string {
  return typeof event.data === 'string' ? event.data : String(event.data);
}
