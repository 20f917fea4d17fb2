import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, resendDelay } from '../../lambdas/core/policy.js';

describe('resend policy', () => {
  it('defaults to PROTOCOL §4: 10 s ack timeout, 5 min cap, 20 attempts, 24 h TTL', () => {
    expect(DEFAULT_POLICY.ackTimeoutMs).toBe(10_000);
    expect(DEFAULT_POLICY.backoffCapMs).toBe(300_000);
    expect(DEFAULT_POLICY.attemptLimit).toBe(20);
    expect(DEFAULT_POLICY.messageTtlMs).toBe(86_400_000);
  });

  it('waits the ack timeout after the first send, then doubles up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((n) => resendDelay(DEFAULT_POLICY, n));
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('stays finite for absurd attempt counts', () => {
    expect(resendDelay(DEFAULT_POLICY, 10_000)).toBe(300_000);
  });
});
