import WebSocket from 'ws';

/** A real WebSocket client for end-to-end tests: records every frame, can wait for one. */
export class TestClient {
  readonly frames: string[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(data.toString());
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  /** Connects and resolves once open; rejects with the HTTP status if the handshake is refused. */
  static connect(url: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TestClient> {
    const params = new URLSearchParams(query).toString();
    const socket = new WebSocket(params ? `${url}?${params}` : url, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { statusCode: res.statusCode })));
      socket.once('error', reject);
    });
  }

  send(frame: object | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Frames parsed as JSON (text-format frames are skipped). */
  json(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const f of this.frames) {
      try {
        out.push(JSON.parse(f) as Record<string, unknown>);
      } catch {
        // a text-format frame
      }
    }
    return out;
  }

  messages(): Array<Record<string, unknown>> {
    return this.json().filter((f) => f.type === 'message');
  }

  /** Waits until `predicate` holds over the frames received so far. */
  async waitFor<T>(predicate: (client: TestClient) => T | undefined | false, timeoutMs = 10_000, what = 'a frame'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate(this);
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Waits `ms` of real time (only where a test must show that something does NOT happen). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
