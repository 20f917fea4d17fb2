import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../lambdas/core/frames/parse-frame.js';
import { DEFAULT_MAX_DATA_BYTES, DEFAULT_POLICY, resendDelay } from '../../lambdas/core/policy.js';
import { DEFAULT_LIMITS } from '../../local/gateway/limits.js';

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

describe('the data limit (PROTOCOL §7) against API Gateway\'s 32 KB frame limit', () => {
  /** The largest publish a client can write compactly: longest names, an id of 64 four-byte characters, every flag. */
  const largestFrame = (dataBytes: number): string =>
    JSON.stringify({ action: 'publish', controller: 'c'.repeat(128), topic: 't'.repeat(128), data: 'x'.repeat(dataBytes - 2), qos: 2, id: '😀'.repeat(64), retain: true, dup: false });

  it('data of the default limit, in the largest envelope, fits in one frame that API Gateway takes, and the server accepts it', () => {
    const frame = largestFrame(DEFAULT_POLICY.maxDataBytes);
    expect(Buffer.byteLength(frame, 'utf8')).toBeLessThanOrEqual(DEFAULT_LIMITS.maxFrameBytes);
    expect(parseFrame(frame, { maxDataBytes: DEFAULT_POLICY.maxDataBytes })).toMatchObject({ action: 'publish', qos: 2 });
    expect(DEFAULT_POLICY.maxDataBytes).toBe(DEFAULT_MAX_DATA_BYTES);
  });
});
