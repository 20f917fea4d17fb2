import { parseFrame } from '../../lambdas/core/frames/parse-frame.js';
import type { CloseDetail, ConnectDetail, ConnectionIdentity, DisconnectInfo, GatewayObserver } from '../gateway/index.js';

/**
 * What the gateway saw, for the dashboard: every frame in and out with its connection id (the
 * seed's message interceptor, as events), and the connections opening and closing. The last
 * `keep` events are held so that a page opened late still sees the recent flow; listeners (the
 * page's Server-Sent Events streams) get each new one as it happens.
 */
export type FeedEvent =
  | FrameEvent
  | { seq: number; at: number; kind: 'connected'; connectionId: string; sourceIp: string }
  | { seq: number; at: number; kind: 'disconnected'; connectionId: string; statusCode: number; reason: string };

/** A frame in or out; `frame` is the frame parsed (absent where it is neither JSON nor a client's text frame). */
export interface FrameEvent {
  seq: number;
  at: number;
  kind: 'in' | 'out';
  connectionId: string;
  raw: string;
  frame?: Record<string, unknown>;
}

/** A connection the gateway has accepted and not yet closed. */
export interface LiveConnection {
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
}

/** Frames longer than this are kept summarized (their `data` replaced), so the history stays small. */
const MAX_RAW_CHARS = 2048;

export class FrameFeed {
  private readonly recent: FeedEvent[] = [];
  private readonly listeners = new Set<(event: FeedEvent) => void>();
  private readonly live = new Map<string, LiveConnection>();
  private seq = 0;

  constructor(
    private readonly keep = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** Tees `inner` (the In/Out console log): both see every hook. */
  observe(inner: GatewayObserver = {}): GatewayObserver {
    return {
      ...inner,
      frameIn: (connectionId, data) => {
        inner.frameIn?.(connectionId, data);
        this.frame('in', connectionId, data);
      },
      frameOut: (connectionId, data) => {
        inner.frameOut?.(connectionId, data);
        this.frame('out', connectionId, data);
      },
      connected: (connectionId: string, identity: ConnectionIdentity, detail?: ConnectDetail) => {
        inner.connected?.(connectionId, identity, detail);
        const at = this.now();
        this.live.set(connectionId, { connectionId, connectedAt: at, sourceIp: identity.sourceIp });
        this.push({ seq: ++this.seq, at, kind: 'connected', connectionId, sourceIp: identity.sourceIp });
      },
      disconnected: (connectionId: string, info: DisconnectInfo, detail?: CloseDetail) => {
        inner.disconnected?.(connectionId, info, detail);
        this.live.delete(connectionId);
        this.push({ seq: ++this.seq, at: this.now(), kind: 'disconnected', connectionId, statusCode: info.statusCode, reason: info.reason });
      },
    };
  }

  /** The connections open now, oldest first. */
  connections(): LiveConnection[] {
    return [...this.live.values()];
  }

  /** The events held, oldest first, each with its frame parsed. */
  history(): FeedEvent[] {
    return this.recent.map(withFrame);
  }

  /** Calls `listener` with every new event (frame parsed); returns the unsubscribe. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private frame(kind: 'in' | 'out', connectionId: string, data: string): void {
    const event: FrameEvent = { seq: ++this.seq, at: this.now(), kind, connectionId, raw: data };
    // Parsing waits until someone looks (the bench runs the runtime with nobody watching),
    // except for a large frame, which is summarized now rather than held whole.
    this.push(data.length > MAX_RAW_CHARS ? summarizeLarge(event) : event);
  }

  private push(event: FeedEvent): void {
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    if (this.listeners.size === 0) return;
    const parsed = withFrame(event);
    for (const listener of this.listeners) listener(parsed);
  }
}

function summarizeLarge(event: FrameEvent): FrameEvent {
  const frame = describeFrame(event.raw, event.kind === 'in');
  const size = `(${event.raw.length} chars)`;
  return { ...event, raw: `${event.raw.slice(0, 200)}… ${size}`, ...(frame ? { frame: { ...frame, data: size } } : {}) };
}

function withFrame(event: FeedEvent): FeedEvent {
  if ((event.kind !== 'in' && event.kind !== 'out') || event.frame) return event;
  const frame = describeFrame(event.raw, event.kind === 'in');
  return frame ? { ...event, frame } : event;
}

/**
 * A frame as an object: JSON as sent, or what a client's text frame means (PROTOCOL §6, read
 * with the server's own parser, as the console frame log does; `text: true` marks it). A text
 * frame out (to a `format=text` client) is left as it is: `undefined`, like anything unreadable.
 */
export function describeFrame(data: string, inbound: boolean): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return undefined;
  } catch {
    if (!inbound) return undefined;
    try {
      return { ...(parseFrame(data, { maxDataBytes: Number.MAX_SAFE_INTEGER }) as unknown as Record<string, unknown>), text: true };
    } catch {
      return undefined;
    }
  }
}
