import { describe, expect, it } from 'vitest';
import { readPolicy, readSweep } from '../lambdas/config.js';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';

/** What a Lambda reads from its environment at cold start (lambdas/config.ts). */
describe('readPolicy', () => {
  it('takes the defaults where nothing is set, with flow control on at 100', () => {
    expect(readPolicy({})).toEqual(DEFAULT_POLICY);
    expect(readPolicy({}).maxInflight).toBe(100);
  });

  it('reads MAX_INFLIGHT=0 as flow control off', () => {
    expect(readPolicy({ MAX_INFLIGHT: '0' }).maxInflight).toBe(0);
    expect(readPolicy({ MAX_INFLIGHT: '20' }).maxInflight).toBe(20);
  });

  it.each(['-1', '1.5', 'ten'])('refuses MAX_INFLIGHT=%s at cold start', (raw) => {
    expect(() => readPolicy({ MAX_INFLIGHT: raw })).toThrow(/MAX_INFLIGHT must be a positive integer or 0 \(off\)/);
  });

  it('reads FLOW_CONTROL: lazy by default, strict when asked; anything else stops the function at cold start', () => {
    expect(readPolicy({}).flowControl).toBe('lazy');
    expect(readPolicy({ FLOW_CONTROL: '' }).flowControl).toBe('lazy');
    expect(readPolicy({ FLOW_CONTROL: 'strict' }).flowControl).toBe('strict');
    expect(readPolicy({ FLOW_CONTROL: 'lazy' }).flowControl).toBe('lazy');
    expect(() => readPolicy({ FLOW_CONTROL: 'Strict' })).toThrow(/FLOW_CONTROL must be one of lazy, strict, got "Strict"/);
  });

  it('refuses 0 where 0 means nothing (an ack timeout, a sweep shard count)', () => {
    expect(() => readPolicy({ ACK_TIMEOUT_MS: '0' })).toThrow(/ACK_TIMEOUT_MS must be a positive integer, got "0"/);
    expect(() => readSweep({ RESEND_SHARDS: '0' })).toThrow(/RESEND_SHARDS must be a positive integer/);
  });
});
