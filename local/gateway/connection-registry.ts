import type { WebSocket } from 'ws';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { ConnectionFacts } from './events.js';
import { CLOSE } from './limits.js';
import type { ConnectionQuery, DisconnectInfo } from './types.js';

/**
 * One client connection and its life:
 *
 *   connecting --($connect accepts, 101 sent)--> open --(close sent or received)--> closing --> closed
 *        |                                        |                                              |
 *        +--($connect refuses: no $disconnect)     +------(client closes or vanishes)------------+
 *
 * Only an `open` connection takes posts; `connecting` ones answer 410 like API Gateway does while
 * `$connect` runs (https://repost.aws/knowledge-center/410-gone-api-gateway: "A message was posted
 * to the WebSocket API before the connection was established").
 */
export type ConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

/** How long a client gets to answer our close frame before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** A connection's clocks, and how many of its frames may run at once. */
export interface ConnectionSettings {
  idleTimeoutMs: number;
  maxConnectionMs: number;
  maxFramesInFlightPerConnection: number;
}

export class GatewayConnection {
  state: ConnectionState = 'connecting';
  lastActiveAt: number;
  /** The handshake's query string (`queryStringParameters`), for logs. */
  query: Record<string, string> = {};
  /** Set by a `DELETE @connections/{id}`: whose `$connect` was running then (a takeover's is). */
  deletedDuringConnectOf?: ConnectionQuery[];
  private socket: WebSocket | undefined;
  /** Why the gateway (not the client) ended the connection; wins over what the socket reports. */
  private closeInfo: DisconnectInfo | undefined;
  /** This connection's frames in their handlers: concurrent, as API Gateway invokes them, up to a bound. */
  readonly frames: ConcurrencyLimit;
  private idleTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly facts: ConnectionFacts,
    private readonly timeouts: ConnectionSettings,
    private readonly onSent: (data: string) => void,
  ) {
    this.lastActiveAt = facts.connectedAt;
    this.frames = new ConcurrencyLimit(timeouts.maxFramesInFlightPerConnection);
  }

  get id(): string {
    return this.facts.connectionId;
  }

  /** The handshake is done: start the idle and duration clocks. */
  open(socket: WebSocket): void {
    this.socket = socket;
    this.state = 'open';
    this.maxTimer = setTimeout(() => this.close(CLOSE.maxDuration), this.timeouts.maxConnectionMs);
    this.maxTimer.unref();
    this.touch();
  }

  /** A data frame went in or out: the idle clock starts again. */
  touch(): void {
    this.lastActiveAt = Date.now();
    if (this.state !== 'open') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(CLOSE.idle), this.timeouts.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** Sends a text frame; `gone` when the connection is not open or the write fails. */
  send(data: Buffer | string): Promise<'ok' | 'gone'> {
    const socket = this.socket;
    if (this.state !== 'open' || !socket) return Promise.resolve('gone');
    const text = typeof data === 'string' ? data : data.toString('utf8');
    return new Promise((resolve) => {
      try {
        // Always a text frame, bytes as given: API Gateway delivers posted data as text.
        socket.send(data, { binary: false }, (error) => resolve(error ? 'gone' : 'ok'));
      } catch {
        resolve('gone');
        return;
      }
      this.touch();
      this.onSent(text);
    });
  }

  /** Starts closing with `info` (the first reason given wins). A closed connection ignores it. */
  close(info: DisconnectInfo): void {
    if (this.state !== 'open' || !this.socket) return;
    this.closeInfo ??= info;
    this.state = 'closing';
    this.clearClocks();
    try {
      this.socket.close(info.statusCode, info.reason);
    } catch {
      this.socket.terminate();
    }
    // A client that never answers the close frame must not hold the connection (ws waits 30 s).
    const socket = this.socket;
    this.killTimer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    this.killTimer.unref();
  }

  /** ws closed the connection itself (an invalid frame, its payload limit): remember why. */
  failedWith(info: DisconnectInfo): void {
    this.closeInfo ??= info;
    if (this.state === 'open') this.state = 'closing';
  }

  /**
   * The socket is closed: how it ended, once. The gateway's own reason if it closed it, else
   * what the client's close frame said (a missing status reads as 1005, as in AWS).
   */
  markClosed(code?: number, reason?: string): DisconnectInfo {
    this.state = 'closed';
    this.clearClocks();
    clearTimeout(this.killTimer);
    if (this.closeInfo) return this.closeInfo;
    if (code === undefined || code === 1005 || code === 1006) return CLOSE.noStatus;
    return { statusCode: code, reason: reason ?? '' };
  }

  private clearClocks(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.maxTimer);
  }
}

/** The connections the gateway knows, by id. A closed connection is forgotten (posts get 410). */
export class ConnectionRegistry {
  private readonly connections = new Map<string, GatewayConnection>();

  add(connection: GatewayConnection): void {
    this.connections.set(connection.id, connection);
  }

  get(connectionId: string): GatewayConnection | undefined {
    return this.connections.get(connectionId);
  }

  delete(connectionId: string): void {
    this.connections.delete(connectionId);
  }

  all(): GatewayConnection[] {
    return [...this.connections.values()];
  }

  /** Accepted and not closed yet: `open` or `closing`. */
  acceptedCount(): number {
    let count = 0;
    for (const connection of this.connections.values()) if (connection.state === 'open' || connection.state === 'closing') count += 1;
    return count;
  }
}
