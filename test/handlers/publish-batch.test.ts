import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryMetrics } from '../../lambdas/ports/metrics.js';
import { Harness } from '../support/harness.js';

/** PROTOCOL §2 batched publish (`messages`) at QoS 0 and 1: every message handed on, one answer. */
describe('a batched publish at QoS 0 and 1', () => {
  let h: Harness;
  let metrics: MemoryMetrics;
  let publisher: string;
  let subscriber: string;
  let monitor: string;

  beforeAll(async () => {
    metrics = new MemoryMetrics();
    h = await Harness.start({ metrics });
    publisher = await h.client({ qos: '2', clientId: 'pub-b' });
    subscriber = await h.client({ qos: '1' });
    monitor = await h.client({ qos: '1', controllers: 'monitor' });
    await h.send(subscriber, { action: 'subscribe', controller: 'monitor', topic: 'site-1/+', qos: 1 });
  });
  afterAll(() => h.close());
  beforeEach(() => metrics.clear());

  const reading = (topic: string, data: unknown, extra: object = {}) => ({ controller: 'monitor', topic, data, ...extra });
  const delivered = () => h.messages(subscriber).map((m) => [m.topic, m.data]);

  it('QoS 1: hands every message on, each with its own server id, then answers ONE msgack with the recipients summed', async () => {
    const before = h.messages(subscriber).length;
    await h.send(publisher, { action: 'publish', qos: 1, id: 'b-1', messages: [reading('site-1/a', 1), reading('other', 2), reading('site-1/b', 3)] });
    const got = h.messages(subscriber).slice(before);
    expect(got.map((m) => [m.topic, m.data, m.qos])).toEqual([['site-1/a', 1, 1], ['site-1/b', 3, 1]]);
    expect(new Set(got.map((m) => m.id)).size).toBe(2);
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toEqual([{ type: 'msgack', id: 'b-1', recipients: 2 }]);
    // Metrics count messages, not frames.
    expect(metrics.total('Published', 1)).toBe(3);
  });

  it('QoS 0: each message handed on once, no answer', async () => {
    const frames = h.frames(publisher).length;
    const before = h.messages(subscriber).length;
    await h.send(publisher, { action: 'publish', messages: [reading('site-1/c', 'x'), reading('site-1/c', 'y')] });
    expect(h.messages(subscriber).slice(before).map((m) => [m.data, m.qos, m.id])).toEqual([['x', 0, undefined], ['y', 0, undefined]]);
    expect(h.frames(publisher)).toHaveLength(frames);
    expect(metrics.total('Published', 0)).toBe(2);
  });

  it('keeps retain and expiry per message', async () => {
    await h.send(publisher, { action: 'publish', qos: 1, id: 'b-2', messages: [reading('site-2/kept', 7, { retain: true }), reading('site-1/short', 8, { expiry: 30 })] });
    expect(h.messages(subscriber).at(-1)).toMatchObject({ topic: 'site-1/short', data: 8, expiry: 30 });
    const late = await h.client({ qos: '1' });
    await h.send(late, { action: 'subscribe', controller: 'monitor', topic: 'site-2/kept', qos: 1 });
    expect(h.messages(late)).toEqual([expect.objectContaining({ topic: 'site-2/kept', data: 7, retained: true })]);
  });

  describe('a refused batch hands nothing on, stores nothing, and the connection stays', () => {
    const refusals: Array<[string, object, object]> = [
      ['a bad field (parser)', { messages: [reading('site-1/a', 1), reading('site-1/#', 2)] }, { code: 'BAD_REQUEST', message: expect.stringMatching(/^messages\[1\]: topic of a publish cannot hold the wildcards/) }],
      ['an unknown controller', { messages: [reading('site-1/a', 1), reading('site-1/b', 2), { controller: 'nope', topic: 't', data: 1 }] }, { code: 'UNKNOWN_CONTROLLER', message: expect.stringMatching(/^messages\[2\]: /) }],
      ['a controller method that refuses one message', { messages: [{ controller: 'sensor', topic: 'temp', data: 20 }, { controller: 'sensor', topic: 'temp', data: 'warm' }] }, { code: 'BAD_REQUEST', message: 'messages[1]: temp must be a number' }],
    ];
    for (const [why, frame, error] of refusals) {
      it(why, async () => {
        const seen = [h.messages(subscriber).length, h.messages(monitor).length];
        const pending = (await h.pendingOf(subscriber)).length + (await h.pendingOf(monitor)).length;
        await h.send(publisher, { action: 'publish', qos: 1, id: 'bad-1', ...frame });
        expect(h.frames(publisher).at(-1)).toEqual({ type: 'error', action: 'publish', id: 'bad-1', ...error });
        expect([h.messages(subscriber).length, h.messages(monitor).length]).toEqual(seen);
        expect((await h.pendingOf(subscriber)).length + (await h.pendingOf(monitor)).length).toBe(pending);
        expect(metrics.total('Published')).toBe(0);
        // The connection stays: the next batch goes through.
        await h.send(publisher, { action: 'publish', qos: 1, id: 'after', messages: [reading('site-1/ok', why)] });
        expect(delivered().at(-1)).toEqual(['site-1/ok', why]);
      });
    }
  });
});

describe('a batched publish runs the controller method per message (PROTOCOL §5)', () => {
  let h: Harness;
  afterAll(() => h.close());

  it('the sensor’s temp reaches every monitor once per reading; one msgack', async () => {
    h = await Harness.start();
    const monitor = await h.client({ qos: '1', controllers: 'monitor' });
    const device = await h.client({ qos: '1' });
    await h.send(device, { action: 'publish', qos: 1, id: 'b-3', messages: [25.1, 25.2, 25.3].map((t) => ({ controller: 'sensor', topic: 'temp', data: t })) });
    expect(h.messages(monitor).map((m) => [m.controller, m.topic, m.data, m.qos])).toEqual([['monitor', 'temp', 25.1, 1], ['monitor', 'temp', 25.2, 1], ['monitor', 'temp', 25.3, 1]]);
    expect(h.frames(device)).toEqual([{ type: 'msgack', id: 'b-3', recipients: 3 }]);
  });
});
