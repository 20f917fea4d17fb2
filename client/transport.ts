/**
 * The transport port: the shape of the browser's WebSocket, which `ws` also offers. The
 * browser passes its global `WebSocket`, Node passes `ws` (client/node.ts), tests a fake.
 * Only the members the client uses are named, so any conforming socket fits.
 */

/** `readyState` values (the WebSocket standard's). */
export const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

export interface WebSocketLike {
  readonly readyState: number;
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
