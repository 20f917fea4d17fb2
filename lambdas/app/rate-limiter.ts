import { takeToken, type RateLimit, type TokenBucket } from '../core/rate-limit.js';

/**
 * Per-connection token buckets in the Lambda container's memory (PROTOCOL §3 RATE_LIMITED).
 *
 * Why memory and not DynamoDB: a conditional write on the connection item per frame would
 * cost one more WRU on every frame (+25% on a QoS 0 message, see docs/deploy.md), for a limit
 * whose job is fairness between connections; the aggregate is already bounded by the stage's
 * throttling (`qosgate:throttle`). The looseness this buys: each container holds its own
 * bucket, so a connection whose frames are spread over N warm containers (every route is its
 * own function, and a busy route may have several containers) gets up to N times the limit.
 * A connection is served by few containers in practice, since each frame route handles one
 * action; the limit stops a runaway client, not a determined one, which the stage throttle does.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly capacity = 10_000,
  ) {}

  /** Whether this connection may have one more frame at `now` (and takes it if so). */
  allow(connectionId: string, now: number): boolean {
    const { allowed, bucket } = takeToken(this.buckets.get(connectionId), now, this.limit);
    // Most recently used last, so the oldest is evicted first when the map is full.
    this.buckets.delete(connectionId);
    if (this.buckets.size >= this.capacity) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.set(connectionId, bucket);
    return allowed;
  }
}
