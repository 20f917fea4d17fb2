import { describe, expect, it } from 'vitest';
import { backoffDelay, takeoverDelay } from '../../client/backoff.js';

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

describe('takeoverDelay: doubling with equal jitter', () => {
  it('draws from [window/2, window), the window doubling per takeover in a row up to the cap, never 0', () => {
    const options = { initialDelayMs: 500, maxDelayMs: 30_000 };
    expect([1, 2, 3, 10].map((n) => takeoverDelay(n, options, () => 0))).toEqual([500, 1000, 2000, 15_000]);
    expect([1, 2, 3, 10].map((n) => takeoverDelay(n, options, () => 1 - 1e-9))).toEqual([999, 1999, 3999, 29_999]);
  });
});
