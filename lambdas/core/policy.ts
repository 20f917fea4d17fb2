/**
 * The delivery policy: how long to wait for an answer, how often to try, how long to keep
 * things (PROTOCOL §4 "Resending"). Plain numbers in milliseconds, so the core stays pure
 * and every value is configurable (the Lambdas read them from the environment once).
 */
export interface QosPolicy {
  /** First resend of an unanswered step after this (default 10 s). */
  ackTimeoutMs: number;
  /** The doubling backoff stops growing here (default 5 min). */
  backoffCapMs: number;
  /** Sends of one step before the message is dead-lettered (default 20). */
  attemptLimit: number;
  /** A message older than this is dead-lettered instead of sent (default 24 h). */
  messageTtlMs: number;
  /** How long a persistent session and its subscriptions outlive their connection (default 24 h). */
  sessionTtlMs: number;
  /** How long storage keeps a connection's records if $disconnect never comes (API Gateway's 2 h limit, plus margin). */
  connectionTtlMs: number;
  /** How long retained values are kept (default 30 days). */
  retainedTtlMs: number;
  /** How long dead letters are kept for inspection (default 14 days). */
  deadLetterTtlMs: number;
  /** Storage keeps a pending entry this long past its deadline, so the sweep dead-letters it before DynamoDB forgets it. */
  expiryGraceMs: number;
  /** How long a pubrel holds an inbound QoS 2 record while handing it on (default 30 s). */
  releaseLeaseMs: number;
  /**
   * Largest `data`, serialized, that a publish may carry (default 31 KB = 31,744 bytes). PROTOCOL §7
   * says 64 KB, but API Gateway closes a connection (1009) that sends a frame over 32 KB, so
   * no more than that can arrive in one frame; see DEFAULT_MAX_DATA_BYTES.
   */
  maxDataBytes: number;
  /** Frames per second one connection may send, steadily (PROTOCOL §3 RATE_LIMITED; default 50). */
  rateLimitPerSecond: number;
  /** Frames one connection may send at once after being quiet (the token bucket's size; default 100). */
  rateLimitBurst: number;
  /**
   * Flow control: at most this many QoS 1/2 messages sent and not yet acknowledged per client;
   * beyond it they are stored `held` and sent as acks free room (default 100, AWS IoT Core's
   * limit). 0 turns the cap off: each check costs a read per recipient per delivery, see
   * docs/reliability-security.md.
   */
  maxInflight: number;
  /**
   * How the cap is checked (docs/protocol.md "Flow control"). `lazy` (default): only for sessions
   * flagged as backlogged (they missed an ack timeout or have held messages), so a client that
   * keeps up costs no read; one that stops acking may get a bounded overshoot before it is
   * flagged. `strict`: a read of the session per recipient per delivery, the cap exact up to
   * concurrency.
   */
  flowControl: FlowControlMode;
  /**
   * How long a topic's history keeps each message accepted from a client (PROTOCOL §10; default
   * 7 days). 0 turns history off: `history` is refused, and records are written only for the sink
   * (with {@link SINK_ONLY_TTL_MS}), or not at all when the sink is off too (core/ingest.ts).
   */
  historyTtlMs: number;
  /**
   * Which client messages are recorded (history and sink alike): entries `<controller>/<topic filter>`,
   * the filter following PROTOCOL §8 (`sensor/temp`, `sensor/#`, `site-1/+/temp`) and the
   * controller `*` standing for every controller. Default: every controller, every topic.
   */
  ingestTopics: readonly string[];
  /**
   * Whether this deployment's ingestion sink is on (SINK_ENABLED, set by the stack on the
   * functions that record): with history off, records are still written for the sink to read.
   */
  sinkEnabled: boolean;
}

export type FlowControlMode = 'lazy' | 'strict';

export const FLOW_CONTROL_MODES: readonly FlowControlMode[] = ['lazy', 'strict'];

/**
 * API Gateway closes the connection (1009) on an inbound frame over 32 KB (32,768 bytes; local/gateway/limits.ts).
 * The largest compact publish envelope around `data` (two 128-character names, a 64-character id
 * of 4-byte characters, `"qos":2`, `"retain":true`, `"dup":false`) is 609 bytes, so 31 KB of data
 * always leaves room for it, with 415 bytes to spare, in one frame. A larger limit could never be
 * reached (docs/protocol.md §7).
 */
export const DEFAULT_MAX_DATA_BYTES = 31 * 1024;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_POLICY: QosPolicy = {
  ackTimeoutMs: 10 * SECOND,
  backoffCapMs: 5 * MINUTE,
  attemptLimit: 20,
  messageTtlMs: DAY,
  sessionTtlMs: DAY,
  connectionTtlMs: 3 * HOUR,
  retainedTtlMs: 30 * DAY,
  deadLetterTtlMs: 14 * DAY,
  expiryGraceMs: DAY,
  releaseLeaseMs: 30 * SECOND,
  maxDataBytes: DEFAULT_MAX_DATA_BYTES,
  rateLimitPerSecond: 50,
  rateLimitBurst: 100,
  maxInflight: 100,
  flowControl: 'lazy',
  historyTtlMs: 7 * DAY,
  ingestTopics: ['*/#'],
  sinkEnabled: false,
};

/**
 * How long to wait after the `attempts`-th send of a step before sending it again:
 * the ack timeout, then doubling, capped. attempts = 1 -> ackTimeout, 2 -> 2x, 3 -> 4x ...
 */
export function resendDelay(policy: Pick<QosPolicy, 'ackTimeoutMs' | 'backoffCapMs'>, attempts: number): number {
  const doublings = Math.max(0, attempts - 1);
  // 2^31 overflows nothing in a double, but cap the exponent so the product stays finite.
  const delay = policy.ackTimeoutMs * 2 ** Math.min(doublings, 30);
  return Math.min(delay, policy.backoffCapMs);
}
