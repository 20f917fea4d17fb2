import WebSocket from 'ws';
import type { WebSocketConstructor, WebSocketLike } from '../../../client/transport.js';

/** A real `ws` socket behind the WebSocketLike port that a test can cut at a chosen moment. */
export class ControlledSocket implements WebSocketLike {
  readonly ws: WebSocket;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Frames read on this socket. */
  readonly received: string[] = [];

  constructor(
    url: string,
    private readonly afterSend: (socket: ControlledSocket, frame: string) => void,
  ) {
    this.ws = new WebSocket(url);
    this.ws.on('open', () => this.onopen?.({}));
    this.ws.on('message', (data, isBinary) => {
      const text = isBinary ? data : data.toString();
      if (typeof text === 'string') this.received.push(text);
      this.onmessage?.({ data: text });
    });
    this.ws.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
    this.ws.on('error', (error) => this.onerror?.({ error }));
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    // Called once the frame is written to the TCP socket, so a cut after it is a cut after sending.
    this.ws.send(data, (error) => {
      if (!error) this.afterSend(this, data);
    });
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  /** Cuts the TCP connection with no close handshake, as a network failure would. */
  cut(): void {
    this.ws.terminate();
  }
}

/** A WebSocket constructor over ControlledSocket; `sockets` in the order opened. */
export function controlledWebSocket(afterSend: (socket: ControlledSocket, frame: string) => void = () => undefined): {
  WebSocket: WebSocketConstructor;
  sockets: ControlledSocket[];
} {
  const sockets: ControlledSocket[] = [];
  class Controlled extends ControlledSocket {
    constructor(url: string) {
      super(url, afterSend);
      sockets.push(this);
    }
  }
  return { WebSocket: Controlled, sockets };
}

/** Waits until `predicate` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
