import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/**
 * The handlers with `firstSends: marker` (docs/architecture.md "Sparse first sends"): what a
 * client sees is what it sees with references (every QoS 1 message until acked, resent with
 * `dup: true`, a persistent session's messages after it comes back), except that a session that
 * comes back before its unacked first sends are due gets them at their due time, not at `resume`.
 */
describe('firstSends: marker', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ firstSends: 'marker' });
  });
  afterAll(() => h.close());

  const items = async (prefix: string) => (await h.scanPending()).filter((item) => String(item.sessionId).startsWith(prefix));

  it('a delivery acked in time leaves no pending item, and is never resent', async () => {
    const sensor = await h.client();
    const monitors = [await h.client({ controllers: 'monitor', qos: '1' }), await h.client({ controllers: 'monitor', qos: '1' })];
    await h.send(sensor, 'sensor|temp|1');
    for (const monitor of monitors) {
      expect(await h.pendingOf(monitor)).toEqual([]);
      const [message] = h.messages(monitor);
      expect(message).toMatchObject({ data: 1, qos: 1, dup: false });
      await h.send(monitor, { action: 'msgack', id: message!.id });
    }
    h.clock.advance(60_000);
    expect(await h.sweep()).toMatchObject({ resent: 0 });
    for (const monitor of monitors) expect(h.messages(monitor)).toHaveLength(1);
    expect((await h.scanPending()).filter((item) => !String(item.sessionId).startsWith('acks#') && !String(item.sessionId).startsWith('due#'))).toEqual([]);
    for (const monitor of monitors) await h.disconnect(monitor);
    await h.disconnect(sensor);
  });

  it('an unacked first send is resent at the ack timeout with dup: true, and ended by the ack of the resend', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|2');
    const [first] = h.messages(monitor);
    h.clock.advance(9_000);
    expect((await h.sweep()).resent).toBe(0);
    h.clock.advance(1_000);
    expect((await h.sweep()).resent).toBe(1);
    expect(h.messages(monitor)).toEqual([first, { ...first, dup: true }]);
    expect(await h.pendingOf(monitor)).toHaveLength(1);
    await h.send(monitor, { action: 'msgack', id: first!.id });
    expect(await h.pendingOf(monitor)).toEqual([]);
    h.clock.advance(600_000);
    expect((await h.sweep()).resent).toBe(0);
    await h.disconnect(monitor);
    await h.disconnect(sensor);
  });

  /** A persistent monitor that gets one message and drops without acking it. */
  const dropsUnacked = async (clientId: string, data: number) => {
    const sensor = await h.client();
    const query = { controllers: 'monitor', qos: '1', clientId, session: 'persistent' };
    const before = await h.client(query);
    await h.send(sensor, `sensor|temp|${data}`);
    const [sent] = h.messages(before);
    h.endpoint.markGone(before);
    await h.disconnect(before);
    return { sensor, query, sent };
  };

  it('a persistent session that drops unacked and comes back at once gets the message at its due time, on the new connection', async () => {
    const { sensor, query, sent } = await dropsUnacked('dev-marker', 3);
    const after = await h.client(query);
    await h.send(after, { action: 'resume' });
    // Not at resume: only the marker knows of it yet.
    expect(h.messages(after)).toEqual([]);
    h.clock.advance(10_000);
    await h.sweep();
    expect(h.messages(after)).toEqual([expect.objectContaining({ id: sent!.id, data: 3, dup: true })]);
    await h.send(after, { action: 'msgack', id: sent!.id });
    expect(await h.pendingOf('dev-marker')).toEqual([]);
    h.clock.advance(600_000);
    await h.sweep();
    expect(h.messages(after)).toHaveLength(1);
    await h.disconnect(after);
    await h.disconnect(sensor);
  });

  it('a persistent session away past the due time finds the message parked, and gets it at resume', async () => {
    const { sensor, query, sent } = await dropsUnacked('dev-away', 4);
    h.clock.advance(10_000);
    await h.sweep();
    expect(await h.pendingOf('dev-away')).toEqual([expect.objectContaining({ id: sent!.id, parked: true })]);
    const after = await h.client(query);
    await h.send(after, { action: 'resume' });
    expect(h.messages(after)).toEqual([expect.objectContaining({ id: sent!.id, data: 4, dup: true })]);
    await h.send(after, { action: 'msgack', id: sent!.id });
    expect(await h.pendingOf('dev-away')).toEqual([]);
    await h.disconnect(after);
    await h.disconnect(sensor);
  });

  it('a clean session that ends unacked leaves nothing once its first send falls due', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|5');
    h.endpoint.markGone(monitor);
    await h.disconnect(monitor);
    h.clock.advance(10_000);
    expect(await h.sweep()).toMatchObject({ resent: 0 });
    expect(await h.pendingOf(monitor)).toEqual([]);
    expect(await items('due#')).toEqual([]);
    await h.disconnect(sensor);
  });

  it('a session flagged backlogged keeps its first sends listed, so the cap holds', async () => {
    const capped = await Harness.start({ firstSends: 'marker', policy: { maxInflight: 2 } });
    try {
      const sensor = await capped.client();
      const monitor = await capped.client({ controllers: 'monitor', qos: '1' });
      await capped.send(sensor, 'sensor|temp|10');
      // It misses its ack timeout: the sweep resends and flags it.
      capped.clock.advance(10_000);
      expect((await capped.sweep()).resent).toBe(1);
      for (let i = 11; i <= 14; i += 1) await capped.send(sensor, `sensor|temp|${i}`);
      // Two in flight (10 and 11): 12, 13, 14 wait, held.
      expect(capped.messages(monitor).map((m) => m.data)).toEqual([10, 10, 11]);
      expect((await capped.pendingOf(monitor)).map((e) => [e.data, e.held === true])).toEqual([
        [10, false],
        [11, false],
        [12, true],
        [13, true],
        [14, true],
      ]);
      await capped.send(monitor, { action: 'msgack', ids: capped.messages(monitor).slice(1).map((m) => m.id) });
      expect(capped.messages(monitor).map((m) => m.data)).toEqual([10, 10, 11, 12, 13]);
    } finally {
      await capped.close();
    }
  });
});
