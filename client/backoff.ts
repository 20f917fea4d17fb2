/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): delay = random(0, min(cap, base * 2^attempt)). Full jitter spreads a fleet of
 * devices that lost the same gateway, so they do not all come back in the same second.
 */
export interface BackoffOptions {
  /** The first window (default 500 ms). */
  initialDelayMs?: number;
  /** The window stops doubling here (default 30 s). */
  maxDelayMs?: number;
}

/** The delay before reconnect attempt `attempt` (0 = the first after a loss). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.initialDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 30_000;
  // 2^attempt overflows to Infinity past ~1000; min() keeps it at the cap either way.
  const window = Math.min(cap, base * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * window);
}
