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

/**
 * The delay before reconnecting after the `takeovers`-th takeover in a row: "equal jitter"
 * (half the window, plus a random part of the other half), the window doubling per takeover
 * from the same base to the same cap. Unlike full jitter it never comes back at once, so two
 * clients with one clientId slow each other down instead of trading the session many times a
 * second: with the defaults, 0.5-1 s, 1-2 s, 2-4 s ... then 15-30 s.
 */
export function takeoverDelay(takeovers: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.initialDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 30_000;
  const window = Math.min(cap, base * 2 ** Math.min(Math.max(takeovers, 1), 52));
  return Math.floor(window / 2 + (random() * window) / 2);
}
