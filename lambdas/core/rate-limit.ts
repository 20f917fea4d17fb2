/**
 * PROTOCOL §3 RATE_LIMITED: a token bucket per connection, as pure arithmetic. A bucket holds
 * up to `burst` tokens and refills at `perSecond`; each frame takes one. A frame finding the
 * bucket empty is refused (nothing it asked for happens) and takes nothing.
 */
export interface TokenBucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** Takes one token at `now`: whether the frame may go, and the bucket after it. */
export function takeToken(bucket: TokenBucket | undefined, now: number, limit: RateLimit): { allowed: boolean; bucket: TokenBucket } {
  const elapsed = bucket === undefined ? 0 : Math.max(0, now - bucket.at);
  const tokens = bucket === undefined ? limit.burst : Math.min(limit.burst, bucket.tokens + (elapsed * limit.perSecond) / 1000);
  if (tokens < 1) return { allowed: false, bucket: { tokens, at: now } };
  return { allowed: true, bucket: { tokens: tokens - 1, at: now } };
}
