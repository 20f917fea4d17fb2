import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../client/backoff.js';

describe('backoffDelay: exponential with full jitter', () => {
  it('draws from [0, min(cap, base * 2^attempt))', () => {
    const top = (attempt: number): number => backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10, 5000].map(top)).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.5)).toBe(400);
  });

  it('defaults to 500 ms doubling to 30 s', () => {
    expect(backoffDelay(0, {}, () => 0.999999)).toBe(499);
    expect(backoffDelay(20, {}, () => 0.999999)).toBe(29_999);
  });
});
