import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_MARGIN_MS } from '../../lambdas/app/resend-sweep.js';
import { createResendHandler } from '../../lambdas/handlers/resend.js';
import { Harness } from '../support/harness.js';

describe('the resend sweep', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ policy: { attemptLimit: 3 } });
  });
  afterAll(() => h.close());

  it('over many pending entries of which none is due reads none of them', async () => {
    const sensor = await h.client();
    const monitors: string[] = [];
    for (let i = 0; i < 20; i += 1) monitors.push(await h.client({ controllers: 'monitor', qos: '1' }));
    for (let t = 0; t < 10; t += 1) await h.send(sensor, `sensor|temp|${t}`);
    let pendingCount = 0;
    for (const m of monitors) pendingCount += (await h.pendingOf(m)).length;
    expect(pendingCount).toBe(200);

    const calls: Array<{ command: string; scanned?: number; count?: number }> = [];
    h.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const output = result.output as { ScannedCount?: number; Count?: number };
        calls.push({ command: String(context.commandName), scanned: output.ScannedCount, count: output.Count });
        return result;
      },
      { step: 'initialize', name: 'countReads' },
    );
    try {
      h.clock.advance(9_000);
      const stats = await h.sweep();
      expect(stats).toMatchObject({ due: 0, resent: 0 });
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.command === 'QueryCommand' && c.scanned === 0 && c.count === 0)).toBe(true);
      expect(calls.some((c) => /Scan|BatchGet|GetItem/.test(c.command))).toBe(false);
    } finally {
      h.doc.middlewareStack.remove('countReads');
    }
    for (const m of monitors) await h.disconnect(m);
  });

  it('two sweeps at once send each due entry once', async () => {
    const sensor = await h.client();
    const monitors = [await h.client({ controllers: 'monitor', qos: '1' }), await h.client({ controllers: 'monitor', qos: '1' })];
    await h.send(sensor, 'sensor|temp|7');
    h.clock.advance(10_000);
    const [a, b] = await Promise.all([h.sweep(), h.sweep()]);
    expect((a?.resent ?? 0) + (b?.resent ?? 0)).toBe(2);
    for (const m of monitors) expect(h.messages(m).filter((x) => x.data === 7)).toHaveLength(2);
    for (const m of monitors) await h.disconnect(m);
  });

  it('dead-letters an entry at the attempt limit and sends it no more', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|99');
    for (let i = 0; i < 10; i += 1) {
      h.clock.advance(300_000);
      await h.sweep();
    }
    const sent = h.messages(monitor).filter((m) => m.data === 99);
    expect(sent).toHaveLength(3);
    expect(await h.pendingOf(monitor)).toEqual([]);
    const dead = await h.deps.stores.deadLetters.ofSession(monitor, h.clock.now());
    expect(dead).toMatchObject([{ reason: 'attempts', entry: { data: 99, attempts: 3 } }]);
    expect(h.log.lines.some((l) => l.message === 'Dead letter')).toBe(true);
  });

  it('dead-letters a parked entry when its TTL is reached', async () => {
    const pub = await h.client();
    const device = await h.client({ qos: '1', clientId: 'away-1', session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.disconnect(device);
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'x', qos: 0 });
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'y', qos: 1, id: 'q' });
    h.clock.advance(h.deps.policy.messageTtlMs);
    expect((await h.sweep()).deadLettered).toBe(1);
    expect(await h.deps.stores.deadLetters.ofSession('away-1', h.clock.now())).toMatchObject([{ reason: 'ttl', entry: { data: 'y' } }]);
  });

  it('the scheduled handler takes no further batch once its time runs short; the next invocation resends the rest', async () => {
    const sensor = await h.client();
    const monitors: string[] = [];
    for (let i = 0; i < 6; i += 1) monitors.push(await h.client({ controllers: 'monitor', qos: '1' }));
    for (let t = 0; t < 5; t += 1) await h.send(sensor, `sensor|temp|${500 + t}`);
    h.clock.advance(10_000);
    const config = { shards: 4, intervalMs: 5000, windowMs: 50_000, batchSize: 5 };
    const resends = () => monitors.flatMap((m) => h.messages(m).filter((x) => x.dup === true && Number(x.data) >= 500)).length;
    // 9 s left: under the margin a batch needs (BATCH_MARGIN_MS), so one batch and no more.
    const short = await createResendHandler(h.deps, config, async () => {})({}, { getRemainingTimeInMillis: () => BATCH_MARGIN_MS - 1000 });
    expect(short.resent).toBeGreaterThan(0);
    expect(short.resent).toBeLessThanOrEqual(config.batchSize);
    expect(resends()).toBe(short.resent);
    // The rest stayed due, and the next invocation takes it: each of the 30 resent once.
    await createResendHandler(h.deps, { ...config, windowMs: 1 }, async () => {})({}, { getRemainingTimeInMillis: () => 60_000 });
    expect(resends()).toBe(30);
    for (const m of monitors) expect(h.messages(m).filter((x) => Number(x.data) >= 500).map((x) => x.dup)).toEqual([false, false, false, false, false, true, true, true, true, true]);
    for (const m of monitors) await h.disconnect(m);
  });

  it('the scheduled handler keeps sweeping every interval for its window', async () => {
    const sleeps: number[] = [];
    const handler = createResendHandler(h.deps, { shards: 4, intervalMs: 5000, windowMs: 50_000, batchSize: 100 }, async (ms) => {
      sleeps.push(ms);
      h.clock.advance(ms);
    });
    await handler({}, { getRemainingTimeInMillis: () => 60_000 });
    expect(sleeps).toEqual(Array(9).fill(5000));
  });
});

