import { describe, expect, it } from 'vitest';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import { pause } from '../support/ws-client.js';

/**
 * Per-message expiry (issue 15, PROTOCOL §4) end to end: plain `ws` clients against the local
 * runtime (its handlers, DynamoDB Local, the resend schedule, each function's IAM policy). The
 * manual clock is not available here, so expiries are real seconds, and the message TTL is
 * shortened through the same context a deployment uses (so "over the TTL" is 601 s).
 */
const TTL_SECONDS = 600;
const FAST = {
  'qosgate:policy': { ackTimeoutMs: 300, backoffCapMs: 600, messageTtlMs: TTL_SECONDS * 1000 },
  'qosgate:sweep': { intervalMs: 100 },
};

describe('per-message expiry on the local runtime', () => {
  const { connect } = useE2eRuntime({ context: FAST });
  const publish = (topic: string, id: string, extra: object = {}) => ({ action: 'publish', controller: 'monitor', topic, data: id, qos: 1, id, ...extra });

  it('a persistent session away past a QoS 1 message’s expiry never gets it after it resumes; the message without expiry it does', async () => {
    const device = await connect({ qos: '1', clientId: 'exp-dev', session: 'persistent' });
    device.send({ action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await device.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    await device.close();

    const publisher = await connect({ qos: '1' });
    publisher.send(publish('cmd', 'stale', { expiry: 2 }));
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === 'stale'));
    publisher.send(publish('cmd', 'fresh'));
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === 'fresh'));
    const publishedAt = Date.now();

    // Past the expiry (2 s after the publish was handled, which was before publishedAt).
    await pause(2500 - (Date.now() - publishedAt));
    const back = await connect({ qos: '1', clientId: 'exp-dev', session: 'persistent' });
    back.send({ action: 'resume' });
    const fresh = await back.waitFor((c) => c.messages().find((m) => m.data === 'fresh'), 10_000, 'the message without expiry');
    expect(fresh).not.toHaveProperty('expiry');
    back.send({ action: 'msgack', id: fresh.id as string });
    // Resends come every 300 ms here: a stale copy still pending would have come by now.
    await pause(1500);
    expect(back.messages().map((m) => m.data)).not.toContain('stale');
  });

  it('a delivered message carries the seconds it has left', async () => {
    const monitor = await connect({ qos: '1' });
    monitor.send({ action: 'subscribe', controller: 'monitor', topic: 'door', qos: 1 });
    await monitor.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    const publisher = await connect({ qos: '1' });
    publisher.send(publish('door', 'open', { expiry: 300 }));
    const message = await monitor.waitFor((c) => c.messages().find((m) => m.data === 'open'));
    // Whole seconds, rounded up: 300 unless the hand-on took over a second on a busy machine.
    expect(message.expiry).toBeGreaterThanOrEqual(299);
    expect(message.expiry).toBeLessThanOrEqual(300);
    monitor.send({ action: 'msgack', id: message.id as string });
  });

  it('bad expiries are refused as BAD_REQUEST naming the rule, and nothing pending is lost', async () => {
    const device = await connect({ qos: '1', clientId: 'exp-keep', session: 'persistent' });
    device.send({ action: 'subscribe', controller: 'monitor', topic: 'keep', qos: 1 });
    await device.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    await device.close();
    const publisher = await connect({ qos: '2' });
    publisher.send(publish('keep', 'kept'));
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === 'kept'));

    const bad: unknown[] = [0, -3, 2.5, TTL_SECONDS + 1];
    for (const [i, expiry] of bad.entries()) publisher.send({ ...publish('keep', `bad-${i}`, { expiry }), qos: 1 + (i % 2) });
    const errors = await publisher.waitFor((c) => {
      const found = c.json().filter((f) => f.type === 'error');
      return found.length === bad.length ? found : undefined;
    });
    const rule = `expiry must be a whole number of seconds from 1 to ${TTL_SECONDS} (the message TTL)`;
    expect(errors.map((e) => e.id).sort()).toEqual(bad.map((_, i) => `bad-${i}`).sort());
    for (const error of errors) expect(error).toMatchObject({ code: 'BAD_REQUEST', message: rule, action: 'publish' });

    const back = await connect({ qos: '1', clientId: 'exp-keep', session: 'persistent' });
    back.send({ action: 'resume' });
    const kept = await back.waitFor((c) => c.messages().find((m) => m.data === 'kept'), 10_000, 'the message pending before the refusals');
    back.send({ action: 'msgack', id: kept.id as string });
    expect(back.messages().every((m) => m.data === 'kept')).toBe(true);
  });
});
