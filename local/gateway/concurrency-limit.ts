/**
 * At most `limit` tasks running at once; the others wait and start in the order they came.
 * The gateway holds one per connection and one for all connections: API Gateway invokes a
 * connection's frames concurrently, each in its own Lambda invocation, and Lambda's concurrency
 * is what bounds them (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
 * Locally, a frame past a bound waits instead of being throttled, so nothing a client sent is lost.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    assertConcurrencyLimit('a concurrency limit', limit);
  }

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` once a slot is free (at once if one is) and frees the slot when it settles, failed
   * or not. The result is the task's own: the caller handles its failures.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so a task arriving meanwhile cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** Throws a RangeError naming `name` unless `value` is a whole number >= 1. */
export function assertConcurrencyLimit(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1 (got ${value})`);
}
