import WebSocket from 'ws';

/** A server frame as the bench reads it. */
export interface Frame {
  type: string;
  id?: string;
  qos?: number;
  dup?: boolean;
  data?: unknown;
  [key: string]: unknown;
}

/**
 * A lean WebSocket client for the bench: no frame history (10,000 of them live in one
 * process), one callback per parsed frame, and a batcher for `msgack` ids.
 */
export class BenchSocket {
  onFrame: (frame: Frame, at: number) => void = () => {};
  private ackIds: string[] = [];
  /** msgack frames sent through `ack` and the ids they carried. */
  readonly ackStats = { frames: 0, ids: 0 };
  private ackTimer: NodeJS.Timeout | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const at = performance.now();
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      this.onFrame(frame, at);
    });
    socket.on('error', () => {});
  }

  static connect(url: string, query: Record<string, string>): Promise<BenchSocket> {
    const socket = new WebSocket(`${url}?${new URLSearchParams(query).toString()}`, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new BenchSocket(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Queues an id for a batched msgack: sent at `max` ids (the server takes 100) or after `delayMs`. */
  ack(id: string, max = 100, delayMs = 20): void {
    this.ackIds.push(id);
    if (this.ackIds.length >= max) this.flushAcks();
    else this.ackTimer ??= setTimeout(() => this.flushAcks(), delayMs);
  }

  /** Sends one msgack with these ids now, beside any batch under way. */
  ackAll(ids: string[]): void {
    if (ids.length === 0 || this.socket.readyState !== WebSocket.OPEN) return;
    this.ackStats.frames += 1;
    this.ackStats.ids += ids.length;
    this.send({ action: 'msgack', ids });
  }

  flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ackIds.length === 0) return;
    const ids = this.ackIds;
    this.ackIds = [];
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.ackStats.frames += 1;
    this.ackStats.ids += ids.length;
    this.send({ action: 'msgack', ids });
  }

  /** Sends `frame` and resolves with the first frame that `match` accepts. */
  request(frame: object, match: (f: Frame) => boolean, timeoutMs = 30_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const previous = this.onFrame;
      const timer = setTimeout(() => {
        this.onFrame = previous;
        reject(new Error(`no answer to ${JSON.stringify(frame)}`));
      }, timeoutMs);
      this.onFrame = (f, at) => {
        if (match(f)) {
          clearTimeout(timer);
          this.onFrame = previous;
          resolve(f);
        } else previous(f, at);
      };
      this.send(frame);
    });
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
      setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 5000).unref();
    });
  }
}

/**
 * Connects `count` sockets `parallel` at a time. A connect that fails for lack of file
 * descriptors (EMFILE) or a refused handshake is retried a few times after a pause; what
 * still fails is reported, not thrown, so the bench can say how far it got.
 */
export async function connectMany(
  url: string,
  query: Record<string, string>,
  count: number,
  parallel = 100,
  onEach?: (socket: BenchSocket) => Promise<void>,
): Promise<{ sockets: BenchSocket[]; errors: string[] }> {
  const sockets: BenchSocket[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      for (let attempt = 0; ; attempt += 1) {
        try {
          const socket = await BenchSocket.connect(url, query);
          if (onEach) await onEach(socket);
          sockets.push(socket);
          break;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (attempt >= 3) {
            errors.push(message);
            break;
          }
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return { sockets, errors };
}
