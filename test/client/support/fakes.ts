import type { Clock, Timers } from '../../../client/timers.js';
import { READY_STATE, type WebSocketLike } from '../../../client/transport.js';

/** Timers and clock in one: time moves only when a test calls `advance`. */
export class FakeTime implements Timers, Clock {
  private nowMs = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = ++this.seq;
    this.pending.set(id, { at: this.nowMs + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Delays of the timers now set, soonest first. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.at - this.nowMs).sort((a, b) => a - b);
  }

  /** Moves time on, running each timer that falls due in order, letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    for (;;) {
      await settle();
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.nowMs = Math.max(this.nowMs, due[1].at);
      due[1].callback();
    }
    this.nowMs = until;
    await settle();
  }
}

/** Lets every queued promise callback run (a few macrotask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A WebSocketLike the test plays the server for. */
export class FakeSocket implements WebSocketLike {
  readyState: number = READY_STATE.CONNECTING;
  readonly sent: string[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  closedWith: { code?: number; reason?: string } | undefined;
  refusal: { status: number; body: string } | undefined;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== READY_STATE.OPEN) throw new Error('not open');
    this.sent.push(data);
    // The server's answer to `disconnect` (PROTOCOL §2): it closes the connection, as DeleteConnection does (1000).
    if (data === '{"action":"disconnect"}') queueMicrotask(() => this.serverClose(1000, ''));
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === READY_STATE.CLOSED) return;
    this.closedWith = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
    this.serverClose(code ?? 1005, reason ?? '');
  }

  // --- the server side ---

  accept(): void {
    this.readyState = READY_STATE.OPEN;
    this.onopen?.({});
  }

  deliver(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** Refuses the handshake with an HTTP error, as the Node transport reports it (a refusal, then close 1006). */
  refuse(status: number, body: string): void {
    this.refusal = { status, body };
    this.serverClose(1006, '');
  }

  serverClose(code = 1006, reason = ''): void {
    if (this.readyState === READY_STATE.CLOSED) return;
    this.readyState = READY_STATE.CLOSED;
    this.onclose?.({ code, reason });
  }

  /** Frames sent, parsed. */
  frames(): Array<Record<string, unknown>> {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  actions(): string[] {
    return this.frames().map((f) => f.action as string);
  }
}

/** A WebSocket constructor handing out FakeSockets, each kept for the test to drive. */
export function fakeWebSocket(): { WebSocket: new (url: string) => FakeSocket; sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  class Socket extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Socket,
    sockets,
    last: () => {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket was opened');
      return socket;
    },
  };
}

/** Sequential ids: c-1, c-2, ... */
export function sequentialIds(): { next(): string } {
  let n = 0;
  return { next: () => `c-${++n}` };
}
