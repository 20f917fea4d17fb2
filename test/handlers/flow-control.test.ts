import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/**
 * Flow control (issue 6, PROTOCOL §4): a cap on unacknowledged messages per client. Beyond it
 * messages are stored and sent as acks free room, in order, never dropped.
 */
describe('a cap on unacknowledged messages per client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ policy: { maxInflight: 3 } });
  });
  afterAll(() => h.close());

  it('sends 3 of 10, holds 7, and sends the rest in order as acks free room', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    // Held messages go oldest first, by the time they were handed on (ms resolution).
    for (let t = 1; t <= 10; t += 1) {
      await h.send(sensor, `sensor|temp|${t}`);
      h.clock.advance(1);
    }

    expect(h.messages(monitor).map((m) => m.data)).toEqual([1, 2, 3]);
    const pending = await h.pendingOf(monitor);
    expect(pending).toHaveLength(10);
    expect(pending.filter((e) => e.held)).toHaveLength(7);

    // Held entries are not resent by the sweep: only the 3 in flight are.
    h.clock.advance(10_000);
    expect((await h.sweep()).resent).toBe(3);
    expect(new Set(h.messages(monitor).map((m) => m.data))).toEqual(new Set([1, 2, 3]));

    // Ack two: two more go, the oldest held first.
    const first = h.messages(monitor).filter((m) => m.data === 1 || m.data === 2).map((m) => m.id as string);
    await h.send(monitor, { action: 'msgack', ids: [...new Set(first)] });
    expect(h.messages(monitor).slice(-2).map((m) => m.data)).toEqual([4, 5]);
    expect(h.messages(monitor).slice(-2).every((m) => m.dup === false)).toBe(true);

    // Ack everything as it comes: all ten arrive, none dropped, in order of first arrival.
    for (let round = 0; round < 10; round += 1) {
      const open = (await h.pendingOf(monitor)).filter((e) => !e.held).map((e) => e.id);
      if (open.length === 0) break;
      await h.send(monitor, { action: 'msgack', ids: open });
    }
    const firstArrival: unknown[] = [];
    for (const m of h.messages(monitor)) if (!firstArrival.includes(m.data)) firstArrival.push(m.data);
    expect(firstArrival).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('a persistent session resuming with a backlog gets only the cap at once', async () => {
    const pub = await h.client();
    const device = await h.client({ qos: '1', clientId: 'fc-dev', session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.disconnect(device);
    for (let i = 1; i <= 5; i += 1) {
      await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'cmd', data: i, qos: 1, id: `p${i}` });
      h.clock.advance(1);
    }
    expect(await h.pendingOf('fc-dev')).toHaveLength(5);

    const back = await h.client({ qos: '1', clientId: 'fc-dev', session: 'persistent' });
    await h.send(back, { action: 'resume' });
    expect(h.messages(back).map((m) => m.data).sort()).toEqual([1, 2, 3]);
    expect((await h.pendingOf('fc-dev')).filter((e) => e.held)).toHaveLength(2);
    await h.send(back, { action: 'msgack', ids: h.messages(back).map((m) => m.id as string) });
    expect(h.messages(back).slice(-2).map((m) => m.data)).toEqual([4, 5]);
  });

  it('is off by default: every message is sent at once', async () => {
    const free = await Harness.start();
    try {
      const sensor = await free.client();
      const monitor = await free.client({ controllers: 'monitor', qos: '1' });
      for (let t = 1; t <= 10; t += 1) await free.send(sensor, `sensor|temp|${t}`);
      expect(free.messages(monitor)).toHaveLength(10);
    } finally {
      await free.close();
    }
  });
});
