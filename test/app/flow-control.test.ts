import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

const persistent = { qos: '1', clientId: 'dev-5', session: 'persistent' } as const;

/** A persistent client A with a cap of 1: "one" in flight, "two" held behind it. */
async function oneInFlightOneHeld(h: Harness) {
  const publisher = await h.client();
  const a = await h.client(persistent);
  await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
  await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'one', qos: 1, id: 'p1' });
  h.clock.advance(1);
  await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'two', qos: 1, id: 'p2' });
  return { publisher, a };
}

describe('flow control and a persistent session that comes back (issue 12)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('held entries parked by a disconnect do not make a reconnected client that never resumes wait', async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1 } });
    const { publisher, a } = await oneInFlightOneHeld(h);
    expect(h.messages(a).map((m) => m.data)).toEqual(['one']);
    expect((await h.pendingOf('dev-5')).map((e) => [e.data, e.held ?? false])).toEqual([
      ['one', false],
      ['two', true],
    ]);
    await h.disconnect(a);

    // Back as B, without resume: its new message is sent at once, not held behind the backlog.
    const b = await h.client(persistent);
    h.clock.advance(1);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'three', qos: 1, id: 'p3' });
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'three', dup: false })]);

    // Nothing was dropped: resume sends the backlog, oldest first as room allows; "two" was never sent before.
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[0]?.id] });
    await h.send(b, { action: 'resume' });
    expect(h.messages(b).map((m) => [m.data, m.dup])).toEqual([
      ['three', false],
      ['one', true],
    ]);
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[1]?.id] });
    expect(h.messages(b).map((m) => [m.data, m.dup])).toEqual([
      ['three', false],
      ['one', true],
      ['two', false],
    ]);
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[2]?.id] });
    expect(await h.pendingOf('dev-5')).toEqual([]);
  });

  it('with the old connection’s $disconnect late, its in-flight and held entries do not take the new connection’s room', async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1 } });
    const { publisher, a } = await oneInFlightOneHeld(h);
    // A's socket drops; its $disconnect has not come yet. The client takes the session over as B.
    h.endpoint.markGone(a);
    const b = await h.client(persistent);
    h.clock.advance(1);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'three', qos: 1, id: 'p3' });
    // B has nothing in flight, so its message goes at once (it used to wait: B had nothing to ack).
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'three', dup: false })]);
  });
});

/** Every DynamoDB request the handlers send while `run` runs: command and table (role), in order. */
async function requestsDuring(h: Harness, run: () => Promise<unknown>): Promise<Array<{ command: string; table: string; input: Record<string, unknown> }>> {
  const roles = new Map(Object.entries(h.tableNames).map(([role, name]) => [name, role]));
  const seen: Array<{ command: string; table: string; input: Record<string, unknown> }> = [];
  const name = `count-${Math.random()}`;
  h.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown> & { TableName?: string; RequestItems?: Record<string, unknown> };
      const table = input.TableName ?? Object.keys(input.RequestItems ?? {})[0] ?? '?';
      seen.push({ command: (context.commandName ?? '?').replace(/Command$/, ''), table: roles.get(table) ?? table, input });
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    h.doc.middlewareStack.remove(name);
  }
  return seen;
}

/** The distinct data of a client's messages, in order of first arrival. */
function firstArrivals(h: Harness, connectionId: string): unknown[] {
  const seen: unknown[] = [];
  for (const m of h.messages(connectionId)) if (!seen.includes(m.data)) seen.push(m.data);
  return seen;
}

describe('lazy flow control (issue 13, the default): the cap checked only for sessions that showed backlog', () => {
  let h: Harness;
  const opened: Harness[] = [];
  const started = async (options?: Parameters<typeof Harness.start>[0]) => {
    const harness = await Harness.start(options);
    opened.push(harness);
    return harness;
  };
  afterEach(async () => {
    for (const harness of opened.splice(0)) await harness.close();
  });

  it('is the default', async () => {
    h = await started();
    expect(h.deps.policy).toMatchObject({ flowControl: 'lazy', maxInflight: 100 });
  });

  it('an unflagged recipient costs no pending read at fan-out (strict reads its session)', async () => {
    for (const flowControl of ['lazy', 'strict'] as const) {
      const one = await started({ policy: { flowControl, maxInflight: 3 } });
      const sensor = await one.client();
      const monitor = await one.client({ controllers: 'monitor', qos: '1' });
      await one.send(sensor, 'sensor|temp|0');
      const requests = await requestsDuring(one, () => one.send(sensor, 'sensor|temp|1'));
      const pendingReads = requests.filter((r) => r.table === 'pending' && r.command !== 'BatchWriteItem');
      if (flowControl === 'lazy') expect(pendingReads).toEqual([]);
      else expect(pendingReads.map((r) => r.command)).toEqual(['Query']);
      // Nor any read of the flag: it came with the membership fan-out read anyway.
      expect(requests.filter((r) => r.table === 'connections' && r.command === 'GetItem')).toEqual([]);
      expect(one.messages(monitor).map((m) => m.data)).toEqual([0, 1]);
    }
  });

  it('an unflagged ack frame reads one thing, the session’s flag (strongly consistent), and deletes its QoS 1 ids blind', async () => {
    h = await started({ policy: { maxInflight: 3 } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    for (let t = 1; t <= 3; t += 1) await h.send(sensor, `sensor|temp|${t}`);
    const [first, ...rest] = h.messages(monitor).map((m) => m.id as string);
    // The route's container has the connection cached after its first frame, as a warm Lambda.
    await h.send(monitor, { action: 'msgack', ids: [first] });
    const requests = await requestsDuring(h, () => h.send(monitor, { action: 'msgack', ids: rest }));
    // Deleted first, then the flag read (the order that keeps a held entry from waiting, app/flow-control.ts).
    expect(requests.map((r) => `${r.command} ${r.table}`)).toEqual(['BatchWriteItem pending', 'GetItem connections']);
    expect(requests[1]?.input).toMatchObject({ ConsistentRead: true, Key: { pk: `session#${monitor}`, sk: 'backlog' } });
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('costs under 0.2 DynamoDB requests per QoS 1 delivery with the cap on (strict: over 1), acks batched', async () => {
    const perDelivery: Record<string, number> = {};
    for (const flowControl of ['lazy', 'strict'] as const) {
      const one = await started({ policy: { flowControl, rateLimitBurst: 1000 } });
      const K = 40;
      const M = 40;
      const publisher = await one.client({ qos: '1' });
      const subscribers: string[] = [];
      for (let i = 0; i < K; i += 1) {
        const s = await one.client({ qos: '1' });
        await one.send(s, { action: 'subscribe', controller: 'monitor', topic: 'cost', qos: 1 });
        // Warm the msgack route's connection cache, as a warm Lambda has it.
        await one.send(s, { action: 'msgack', id: 'warm-up:1' });
        subscribers.push(s);
      }
      await one.send(publisher, { action: 'publish', controller: 'monitor', topic: 'none', data: 0, qos: 1, id: 'warm-up' });
      const requests = await requestsDuring(one, async () => {
        for (let m = 0; m < M; m += 1) {
          await one.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cost', data: 'x'.repeat(1000), qos: 1, id: `c${m}` });
          one.clock.advance(1);
        }
        // Each subscriber acks its M messages in one frame (the bench batches up to 100).
        for (const s of subscribers) await one.send(s, { action: 'msgack', ids: one.messages(s).map((x) => x.id as string) });
      });
      for (const s of subscribers) expect(await one.pendingOf(s)).toEqual([]);
      // The delivery path's requests: the history record (issue 16) is one write per publish, not per delivery.
      const history = requests.filter((r) => r.table === 'history');
      expect(history).toHaveLength(M);
      perDelivery[flowControl] = (requests.length - history.length) / (K * M);
    }
    expect(perDelivery.lazy).toBeLessThanOrEqual(0.2);
    expect(perDelivery.strict).toBeGreaterThan(1);
    // 3,200 deliveries and their acks through DynamoDB Local: a guard, not a figure (it took 30 s on a slow day).
  }, 120_000);

  it('a client that stops acking is flagged by the sweep, then held at the cap; held ones go in order as acks free room; the flag clears once it caught up; nothing dropped', async () => {
    h = await started({ policy: { maxInflight: 3 } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const flagged = async () => (await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged;
    const memberFlag = async () => {
      for await (const page of h.deps.stores.connections.membersOf('monitor', h.clock.now())) {
        const me = page.find((r) => r.sessionId === monitor);
        if (me) return me.backlogged ?? false;
      }
      return undefined;
    };
    const publish = async (from: number, to: number) => {
      for (let t = from; t <= to; t += 1) {
        await h.send(sensor, `sensor|temp|${t}`);
        h.clock.advance(1);
      }
    };

    // Unflagged, the client may overshoot the cap: 5 sent, none held (the documented bound).
    await publish(1, 5);
    expect(h.messages(monitor).map((m) => m.data)).toEqual([1, 2, 3, 4, 5]);
    expect(await flagged()).toBe(false);

    // It missed its ack timeout: the sweep resends and flags it, where fan-out will see it.
    h.clock.advance(10_000);
    expect((await h.sweep()).resent).toBe(5);
    expect(await flagged()).toBe(true);
    expect(await memberFlag()).toBe(true);

    // From now on it is held at the cap: 5 in flight, so 6..8 wait.
    await publish(6, 8);
    expect(firstArrivals(h, monitor)).toEqual([1, 2, 3, 4, 5]);
    expect((await h.pendingOf(monitor)).filter((e) => e.held).map((e) => e.data)).toEqual([6, 7, 8]);

    // Acks free room: the oldest held go first, as many as fit.
    const idsOf = (data: number[]) => [...new Set(h.messages(monitor).filter((m) => data.includes(m.data as number)).map((m) => m.id as string))];
    await h.send(monitor, { action: 'msgack', ids: idsOf([1, 2, 3]) });
    expect(firstArrivals(h, monitor)).toEqual([1, 2, 3, 4, 5, 6]);
    await h.send(monitor, { action: 'msgack', ids: idsOf([4, 5]) });
    expect(firstArrivals(h, monitor)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // 3 in flight, nothing held: still flagged (it clears at half the cap or less).
    expect(await flagged()).toBe(true);

    await h.send(monitor, { action: 'msgack', ids: idsOf([6, 7, 8]) });
    expect(await flagged()).toBe(false);
    expect(await memberFlag()).toBe(false);

    // Caught up: unflagged again, a new message costs no read and goes at once.
    const requests = await requestsDuring(h, () => publish(9, 9));
    expect(requests.filter((r) => r.table === 'pending' && r.command === 'Query')).toEqual([]);
    expect(firstArrivals(h, monitor)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await h.send(monitor, { action: 'msgack', ids: idsOf([9]) });
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('a subscriber flagged is held at the cap too (the flag is on its subscription)', async () => {
    h = await started({ policy: { maxInflight: 1 } });
    const publisher = await h.client();
    const sub = await h.client({ qos: '1' });
    await h.send(sub, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'one', qos: 1, id: 'p1' });
    h.clock.advance(10_000);
    await h.sweep();
    const [subscription] = await h.deps.stores.subscriptions.ofSession(sub, h.clock.now());
    expect(subscription?.backlogged).toBe(true);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'two', qos: 1, id: 'p2' });
    expect(firstArrivals(h, sub)).toEqual(['one']);
    await h.send(sub, { action: 'msgack', ids: [h.messages(sub)[0]?.id] });
    expect(firstArrivals(h, sub)).toEqual(['one', 'two']);
  });

  it('an ack of a message older than the ack timeout flags the session before the sweep does', async () => {
    h = await started({ policy: { maxInflight: 3 } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|1');
    await h.send(sensor, 'sensor|temp|2');
    const [one, two] = h.messages(monitor).map((m) => m.id as string);
    h.clock.advance(9_000);
    await h.send(monitor, { action: 'msgack', ids: [one] });
    expect((await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged).toBe(false);
    h.clock.advance(1_001);
    await h.send(monitor, { action: 'msgack', ids: [two] });
    expect((await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged).toBe(true);
  });

  it('an ack the client sent in time does not flag the session, however long it waited for its handler', async () => {
    h = await started({ policy: { maxInflight: 3 } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|1');
    await h.send(sensor, 'sensor|temp|2');
    const [one, two] = h.messages(monitor).map((m) => m.id as string);
    // Both acks reached the gateway 9 s after the sends; their handlers ran 2 s later (a busy gateway).
    const sentBy = h.clock.now() + 9_000;
    h.clock.advance(11_000);
    await h.send(monitor, { action: 'msgack', ids: [one] }, { receivedAt: sentBy });
    expect((await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged).toBe(false);
    // The same wait for an ack the client sent late does flag it.
    await h.send(monitor, { action: 'msgack', ids: [two] }, { receivedAt: sentBy + 1_001 });
    expect((await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged).toBe(true);
  });

  it('a hold flags the session even if an ack cleared it since the recipient was read, so the next ack releases the held one', async () => {
    h = await started({ policy: { maxInflight: 1 } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|1');
    // The membership still says backlogged, the session's flag is off (an ack cleared it, and the
    // fan-out read the membership before that ack took it off there).
    await h.deps.stores.connections.markMemberships(monitor, monitor, true, h.clock.now());
    expect((await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged).toBe(false);
    h.clock.advance(1);
    await h.send(sensor, 'sensor|temp|2');
    expect((await h.pendingOf(monitor)).filter((e) => e.held).map((e) => e.data)).toEqual([2]);
    expect((await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged).toBe(true);
    // Without that flag this ack would read nothing and 2 would wait until its TTL.
    await h.send(monitor, { action: 'msgack', ids: [h.messages(monitor)[0]?.id] });
    expect(firstArrivals(h, monitor)).toEqual([1, 2]);
  });

  it('the sweep flags a session at a message\'s first missed ack, not at its later resends; a message sent unflagged since flags it at its own', async () => {
    h = await started({ policy: { maxInflight: 4 } });
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const flagged = async () => (await h.deps.stores.connections.getBacklog(monitor, h.clock.now())).backlogged;
    await h.send(sensor, 'sensor|temp|1');
    h.clock.advance(1);
    await h.send(sensor, 'sensor|temp|2');
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    await h.sweep();
    expect(await flagged()).toBe(true);
    // An ack with 1 of the cap of 4 left in flight clears the flag; 2 is still unacked.
    await h.send(monitor, { action: 'msgack', ids: [h.messages(monitor)[0]?.id] });
    expect(await flagged()).toBe(false);

    // 2's second resend (its backoff doubled) leaves the flag off.
    h.clock.advance(2 * h.deps.policy.ackTimeoutMs);
    expect((await h.sweep()).resent).toBe(1);
    expect(h.messages(monitor).filter((m) => m.data === 2).map((m) => m.dup)).toEqual([false, true, true]);
    expect(await flagged()).toBe(false);
    // A message sent unflagged misses its ack too: its first resend flags the session.
    await h.send(sensor, 'sensor|temp|3');
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    await h.sweep();
    expect(h.messages(monitor).filter((m) => m.data === 3).map((m) => m.dup)).toEqual([false, true]);
    expect(await flagged()).toBe(true);
  });

  it('resume holds what does not fit and flags the session, so acks send the rest, in order', async () => {
    h = await started({ policy: { maxInflight: 3 } });
    const pub = await h.client();
    const device = await h.client({ qos: '1', clientId: 'lazy-dev', session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.disconnect(device);
    for (let i = 1; i <= 5; i += 1) {
      await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'cmd', data: i, qos: 1, id: `p${i}` });
      h.clock.advance(1);
    }
    const back = await h.client({ qos: '1', clientId: 'lazy-dev', session: 'persistent' });
    await h.send(back, { action: 'resume' });
    // Resume posts the oldest cap's worth concurrently (any order among them); the rest are held.
    expect(h.messages(back).map((m) => m.data).sort()).toEqual([1, 2, 3]);
    expect((await h.deps.stores.connections.getBacklog('lazy-dev', h.clock.now())).backlogged).toBe(true);
    await h.send(back, { action: 'msgack', ids: h.messages(back).map((m) => m.id as string) });
    expect(h.messages(back).slice(3).map((m) => m.data)).toEqual([4, 5]);
    await h.send(back, { action: 'msgack', ids: h.messages(back).slice(3).map((m) => m.id as string) });
    expect(await h.pendingOf('lazy-dev')).toEqual([]);
  });
});
