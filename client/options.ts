import type { BackoffOptions } from './backoff.js';
import type { IdProvider } from './ids.js';
import type { OutboxStore } from './outbox.js';
import type { BatchOptions } from './publish-batch.js';
import type { Clock, Timers } from './timers.js';
import type { WebSocketConstructor } from './transport.js';
import type { ConnectParams } from './url.js';

/** Everything `connect()` / `createClient()` take. Only `url` is required (and, in Node, the transport: client/node.ts passes `ws`). */
export interface ClientOptions extends ConnectParams {
  /** `ws://` or `wss://` endpoint with the stage, e.g. `wss://abc.execute-api.eu-west-1.amazonaws.com/prod`. */
  url: string;
  /** The transport: the browser's `WebSocket` by default; client/node.ts passes `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Unanswered QoS 1/2 publishes (default: a MemoryOutbox; client/node.ts offers FileOutbox). */
  outbox?: OutboxStore;

  /**
   * Coalesce `publish()` calls into batched frames (PROTOCOL §2 `messages`): a frame goes out
   * with `maxMessages` messages (default 100), at `maxBytes` (default 30 KB, under API Gateway's
   * 32 KB), or `maxDelayMs` (default 20 ms) after its first message, whichever comes first; one
   * frame per QoS. Each caller's promise settles with its frame's answer. Default: off.
   */
  batch?: BatchOptions;

  /** Answer msgack / pubrec / pubrel by itself (default true). */
  autoAck?: boolean;
  /** Acks within this window go out as one frame (default 25 ms). */
  ackBatchMs?: number;
  /** First resend of an unanswered publish step (default 10 s). */
  ackTimeoutMs?: number;
  /** Resends of one step stop doubling here (default 60 s). */
  resendCapMs?: number;
  /** A QoS 2 id is remembered this long after its pubrel (default 60 s). */
  qos2RememberMs?: number;

  /** Reconnect after a lost connection (default: on, 500 ms doubling to 30 s, full jitter); false: never. */
  reconnect?: BackoffOptions | false;
  /** An opening connection that is not open after this is given up (default 10 s). */
  connectTimeoutMs?: number;
  /** `ping` this often, under API Gateway's 10 minute idle limit (default 5 min; 0: never). */
  pingIntervalMs?: number;
  /** No `pong` this long after a ping: the connection is taken as dead and replaced (default 30 s). */
  pongTimeoutMs?: number;
  /** Re-open the connection this long after it opened, before API Gateway's 2 hour limit (default 1 h 55 min; 0: never). */
  maxConnectionMs?: number;
  /** A clean session waits at most this long for its unanswered publishes before re-opening (default 10 s). */
  drainTimeoutMs?: number;
  /** A server close 1000 this soon after the open is taken as a takeover by another client with this clientId (default 60 s). */
  takeoverWindowMs?: number;

  /** Ports, for tests and special platforms. */
  timers?: Timers;
  clock?: Clock;
  ids?: IdProvider;
  /** Jitter's randomness (default Math.random). */
  random?: () => number;
}

export const DEFAULTS = {
  ackBatchMs: 25,
  ackTimeoutMs: 10_000,
  resendCapMs: 60_000,
  qos2RememberMs: 60_000,
  qos2UnreleasedMemoryMs: 24 * 60 * 60 * 1000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 5 * 60 * 1000,
  pongTimeoutMs: 30_000,
  maxConnectionMs: (2 * 60 - 5) * 60 * 1000,
  drainTimeoutMs: 10_000,
  takeoverWindowMs: 60_000,
} as const;
