import { describe, expect, it } from 'vitest';
import { DEFAULT_FANOUT, readFanout, readFirstSends, readPolicy, readSweep } from '../lambdas/config.js';
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

  it('reads FIRST_SENDS: reference by default, marker when asked; anything else stops the function at cold start', () => {
    expect(readFirstSends({})).toBe('reference');
    expect(readFirstSends({ FIRST_SENDS: '' })).toBe('reference');
    expect(readFirstSends({ FIRST_SENDS: 'marker' })).toBe('marker');
    expect(() => readFirstSends({ FIRST_SENDS: 'Marker' })).toThrow(/FIRST_SENDS must be one of reference, marker, got "Marker"/);
  });

  it('refuses 0 where 0 means nothing (an ack timeout, a sweep shard count)', () => {
    expect(() => readPolicy({ ACK_TIMEOUT_MS: '0' })).toThrow(/ACK_TIMEOUT_MS must be a positive integer, got "0"/);
    expect(() => readSweep({ RESEND_SHARDS: '0' })).toThrow(/RESEND_SHARDS must be a positive integer/);
  });
});

describe('readFanout', () => {
  it('takes the defaults where nothing is set: an inline page of 200, job pages of 200, spans of 10 pages', () => {
    expect(readFanout({})).toEqual(DEFAULT_FANOUT);
    expect(DEFAULT_FANOUT).toMatchObject({ inlinePageSize: 200, jobPageSize: 200, spanPages: 10 });
  });

  it('reads the page sizes, the span and the lease the stack sets', () => {
    expect(readFanout({ FANOUT_INLINE_PAGE_SIZE: '10', FANOUT_JOB_PAGE_SIZE: '7', FANOUT_SPAN_PAGES: '3', FANOUT_LEASE_MS: '20000' })).toEqual({ inlinePageSize: 10, jobPageSize: 7, spanPages: 3, leaseMs: 20_000 });
  });

  it.each(['0', '-3', '2.5', 'many'])('refuses FANOUT_JOB_PAGE_SIZE=%s at cold start, saying why', (raw) => {
    expect(() => readFanout({ FANOUT_JOB_PAGE_SIZE: raw })).toThrow(`qosgate: FANOUT_JOB_PAGE_SIZE must be a positive integer, got "${raw}"`);
  });
});
