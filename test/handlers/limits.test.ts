import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeToken } from '../../lambdas/core/rate-limit.js';
import { Harness } from '../support/harness.js';

describe('the token bucket (pure)', () => {
  const limit = { perSecond: 10, burst: 3 };
  it('allows a burst, then refills at the rate, never above the burst', () => {
    let bucket;
    const results: boolean[] = [];
    for (let i = 0; i < 4; i += 1) {
      const r = takeToken(bucket, 1000, limit);
      results.push(r.allowed);
      bucket = r.bucket;
    }
    expect(results).toEqual([true, true, true, false]);
    expect(takeToken(bucket, 1050, limit).allowed).toBe(false); // half a token
    expect(takeToken(bucket, 1100, limit).allowed).toBe(true); // one token after 100 ms
    expect(takeToken(bucket, 100_000, limit).bucket.tokens).toBe(2); // capped at the burst, minus this one
  });
});

describe('limits on the handlers (DynamoDB Local)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ policy: { rateLimitPerSecond: 5, rateLimitBurst: 5 } });
  });
  afterAll(() => h.close());

  it('RATE_LIMITED over the per-connection rate: the frame is answered with the error and changes nothing', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const sensor = await h.client({ controllers: 'sensor', qos: '1' });
    for (let i = 0; i < 8; i += 1) await h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: i, qos: 1, id: `s-${i}` });
    const answers = h.frames(sensor).map((f) => (f.type === 'error' ? `${f.code}:${f.id}` : `${f.type}:${'id' in f ? f.id : ''}`));
    expect(answers).toEqual(['msgack:s-0', 'msgack:s-1', 'msgack:s-2', 'msgack:s-3', 'msgack:s-4', 'RATE_LIMITED:s-5', 'RATE_LIMITED:s-6', 'RATE_LIMITED:s-7']);
    // Only the five handled readings reached the monitor and were stored for it.
    expect(h.messages(monitor).map((m) => m.data)).toEqual([0, 1, 2, 3, 4]);
    expect((await h.pendingOf(monitor)).length).toBe(5);
    // Other connections have their own buckets.
    await h.send(monitor, { action: 'ping' });
    expect(h.frames(monitor).at(-1)).toEqual({ type: 'pong' });
    // After a second the bucket has refilled: the refused frame, sent again, is handled.
    h.clock.advance(1000);
    await h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: 5, qos: 1, id: 's-5' });
    expect(h.frames(sensor).at(-1)).toEqual({ type: 'msgack', id: 's-5', recipients: 1 });
    expect(h.messages(monitor).map((m) => m.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('TOO_LARGE for data over maxDataBytes (PROTOCOL §7), nothing handed on', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, { action: 'publish', controller: 'monitor', topic: 'big', data: 'x'.repeat(64 * 1024 + 1), qos: 1, id: 'big-1' });
    expect(h.frames(sensor)).toEqual([expect.objectContaining({ type: 'error', code: 'TOO_LARGE', id: 'big-1' })]);
    expect(h.messages(monitor)).toEqual([]);
  });
});
