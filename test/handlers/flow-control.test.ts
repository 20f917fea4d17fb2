import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QosPolicy } from '../../lambdas/core/policy.js';
import { Harness } from '../support/harness.js';

/**
 * Flow control (issue 6, PROTOCOL §4): a cap on unacknowledged messages per client. Beyond it
 * messages are stored and sent as acks free room, in order, never dropped.
 */
describe('a cap on unacknowledged messages per client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 3 } });
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

  it('holds a message whose room was freed by an ack racing with its delivery', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    for (let t = 1; t <= 3; t += 1) await h.send(sensor, `sensor|temp|${t}`);
    const inflight = h.messages(monitor).map((m) => m.id as string);
    expect(inflight).toHaveLength(3);

    // The ack runs after the delivery read the session (3 in flight: hold) and before it stored
    // the held entry, so the ack's own read finds nothing held to send.
    const pending = h.deps.stores.pending;
    const store = pending.putMany.bind(pending);
    let acked = false;
    pending.putMany = async (entries) => {
      if (!acked && entries.some((e) => e.held)) {
        acked = true;
        await h.send(monitor, { action: 'msgack', ids: inflight });
      }
      await store(entries);
    };
    try {
      await h.send(sensor, 'sensor|temp|4');
    } finally {
      pending.putMany = store;
    }
    expect(acked).toBe(true);
    // The delivery reads the session again once the held entry is stored: there is room, so it goes.
    expect(h.messages(monitor).map((m) => m.data)).toEqual([1, 2, 3, 4]);
    expect((await h.pendingOf(monitor)).map((e) => [e.data, Boolean(e.held)])).toEqual([[4, false]]);
  });

  it('a dead-lettered message in flight makes room: the oldest held one goes', async () => {
    const capped = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1, attemptLimit: 2 } });
    try {
      const sensor = await capped.client();
      const monitor = await capped.client({ controllers: 'monitor', qos: '1' });
      await capped.send(sensor, 'sensor|temp|1');
      capped.clock.advance(1);
      await capped.send(sensor, 'sensor|temp|2');
      expect(capped.messages(monitor).map((m) => m.data)).toEqual([1]);

      // The client stops answering: 1 is sent twice (the attempt limit), then dead-lettered.
      capped.clock.advance(10_000);
      expect((await capped.sweep()).resent).toBe(1);
      capped.clock.advance(20_000);
      expect((await capped.sweep()).deadLettered).toBe(1);
      // Without this, 2 would wait for an ack that can never come, until its TTL.
      expect(capped.messages(monitor).map((m) => [m.data, m.dup])).toEqual([
        [1, false],
        [1, true],
        [2, false],
      ]);
      const left = await capped.pendingOf(monitor);
      expect(left.map((e) => [e.data, Boolean(e.held)])).toEqual([[2, false]]);
    } finally {
      await capped.close();
    }
  });
});

describe('the cost of the cap with a long backlog', () => {
  it('reads about the cap, not the backlog: a client with 1,000 held messages', async () => {
    const h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 3 } });
    try {
      const sensor = await h.client();
      const monitor = await h.client({ controllers: 'monitor', qos: '1' });
      for (let t = 1; t <= 4; t += 1) await h.send(sensor, `sensor|temp|${t}`);
      const [held] = (await h.pendingOf(monitor)).filter((e) => e.held);
      if (!held) throw new Error('expected the 4th message held');
      // 1,000 more held after it (ids sort by age, as server ids do).
      await h.deps.stores.pending.putMany(
        Array.from({ length: 1000 }, (_, i) => ({ ...held, id: `${held.id}-${String(i).padStart(4, '0')}`, data: 100 + i, createdAt: held.createdAt + 1 + i })),
      );
      h.clock.advance(2000);

      // Items DynamoDB read for this session's Queries on the pending table.
      let scanned = 0;
      h.doc.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          const input = args.input as { TableName?: string; ExpressionAttributeValues?: Record<string, unknown> };
          if (context.commandName === 'QueryCommand' && input.TableName === h.tableNames.pending && input.ExpressionAttributeValues?.[':s'] === monitor) {
            scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
          }
          return result;
        },
        { step: 'initialize', name: 'countSessionReads' },
      );
      try {
        await h.send(sensor, 'sensor|temp|5');
        // The delivery's read and its recheck once stored: each stops within a page of cap + 1.
        expect(scanned).toBeLessThanOrEqual(2 * 4);
        expect(h.messages(monitor).map((m) => m.data)).toEqual([1, 2, 3]);

        scanned = 0;
        await h.send(monitor, { action: 'msgack', ids: h.messages(monitor).map((m) => m.id as string) });
        expect(scanned).toBeLessThanOrEqual(2 * 4);
        expect(h.messages(monitor).map((m) => m.data)).toEqual([1, 2, 3, 4, 100, 101]);
      } finally {
        h.doc.middlewareStack.remove('countSessionReads');
      }
      expect(await h.pendingOf(monitor)).toHaveLength(1002);
    } finally {
      await h.close();
    }
  });
});

describe('the default cap', () => {
  /** A sensor sends 101 readings at once to one QoS 1 monitor that never acks (burst raised for them). */
  async function hundredAndOne(policy: Partial<QosPolicy>): Promise<{ h: Harness; monitor: string }> {
    const h = await Harness.start({ policy: { rateLimitBurst: 200, ...policy } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    for (let t = 1; t <= 101; t += 1) await h.send(sensor, `sensor|temp|${t}`);
    return { h, monitor };
  }

  it('is on: 100 unacknowledged messages per client, as AWS IoT Core allows (strict: checked on every delivery)', async () => {
    const { h, monitor } = await hundredAndOne({ flowControl: 'strict' });
    try {
      expect(h.deps.policy.maxInflight).toBe(100);
      expect(h.messages(monitor)).toHaveLength(100);
      const held = (await h.pendingOf(monitor)).filter((e) => e.held);
      expect(held.map((e) => e.data)).toEqual([101]);
    } finally {
      await h.close();
    }
  });

  it('maxInflight 0 turns it off: every message is sent at once', async () => {
    const { h, monitor } = await hundredAndOne({ maxInflight: 0 });
    try {
      expect(h.messages(monitor)).toHaveLength(101);
      expect((await h.pendingOf(monitor)).some((e) => e.held)).toBe(false);
    } finally {
      await h.close();
    }
  });
});
