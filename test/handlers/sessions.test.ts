import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

describe('a send that meets GoneException', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('removes a clean session: its connection, subscriptions and pending entries', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 'alerts', qos: 1 });
    await h.send(sensor, 'sensor|temp|1');
    expect(await h.pendingOf(monitor)).toHaveLength(1);

    h.endpoint.markGone(monitor);
    h.clock.advance(10_000);
    const stats = await h.sweep();
    expect(stats.gone).toBe(1);

    const now = h.clock.now();
    expect(await h.deps.stores.connections.get(monitor, now)).toBeUndefined();
    expect(await h.deps.stores.subscriptions.ofSession(monitor, now)).toEqual([]);
    expect(await h.pendingOf(monitor)).toEqual([]);
    // Nobody is left on the monitor controller, so the next temp reaches nobody.
    await h.send(sensor, 'sensor|temp|2');
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('during a fan-out removes only the gone recipient; the others still get theirs', async () => {
    const sensor = await h.client();
    const alive = await h.client({ controllers: 'monitor', qos: '1' });
    const dead = await h.client({ controllers: 'monitor', qos: '1' });
    h.endpoint.markGone(dead);
    await h.send(sensor, 'sensor|temp|3');
    expect(h.messages(alive).at(-1)).toMatchObject({ data: 3, qos: 1 });
    expect(await h.pendingOf(alive)).toHaveLength(1);
    expect(await h.pendingOf(dead)).toEqual([]);
    expect(await h.deps.stores.connections.get(dead, h.clock.now())).toBeUndefined();
    await h.disconnect(alive);
  });

  it('keeps a persistent session: pending entries stay for resume, sent again with dup: true', async () => {
    const sensor = await h.client();
    const first = await h.client({ controllers: 'monitor', qos: '1', clientId: 'dev-7', session: 'persistent' });
    await h.send(sensor, 'sensor|temp|4');
    const id = h.messages(first).at(-1)?.id;
    h.endpoint.markGone(first);
    h.clock.advance(10_000);
    expect((await h.sweep()).gone).toBe(1);

    const kept = await h.pendingOf('dev-7');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ id, parked: true });
    // Parked: the sweep leaves it alone until its deadline.
    const framesBefore = h.endpoint.all().length;
    h.clock.advance(600_000);
    expect((await h.sweep()).due).toBe(0);
    expect(h.endpoint.all()).toHaveLength(framesBefore);

    const second = await h.client({ controllers: 'monitor', qos: '1', clientId: 'dev-7', session: 'persistent' });
    await h.send(second, { action: 'resume' });
    expect(h.messages(second)).toEqual([expect.objectContaining({ id, data: 4, dup: true })]);
    await h.send(second, { action: 'msgack', id });
    expect(await h.pendingOf('dev-7')).toEqual([]);
  });
});

describe('persistent sessions (PROTOCOL §4)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('need a clientId', async () => {
    const { statusCode } = await h.open({ session: 'persistent' });
    expect(statusCode).toBe(400);
  });

  it('keep QoS 1 messages and subscriptions while away and drop QoS 0', async () => {
    const publisher = await h.client();
    const device = await h.client({ qos: '1', clientId: 'dev-8', session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.disconnect(device);
    expect(await h.deps.stores.connections.get(device, h.clock.now())).toBeUndefined();

    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'ignored', qos: 0 });
    expect(h.frames(device).filter((f) => f.type === 'message')).toEqual([]);
    expect(await h.pendingOf('dev-8')).toMatchObject([{ data: 'reboot', parked: true }]);

    const back = await h.client({ qos: '1', clientId: 'dev-8', session: 'persistent' });
    await h.send(back, { action: 'resume' });
    // Never sent before (the session was away when it came): a first sending, dup false (MQTT DUP=0).
    expect(h.messages(back)).toEqual([expect.objectContaining({ data: 'reboot', dup: false, qos: 1 })]);
    // The subscription outlived the connection and now points at the new one.
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'live', qos: 0 });
    expect(h.messages(back).at(-1)).toMatchObject({ data: 'live', qos: 0 });
  });

  it('a second connection with the same clientId takes the session over and closes the first', async () => {
    const first = await h.client({ qos: '1', clientId: 'dev-9', session: 'persistent' });
    const second = await h.client({ qos: '1', clientId: 'dev-9', session: 'persistent' });
    expect(h.endpoint.deleted()).toContain(first);
    // The first connection's $disconnect arrives late: it must not end the session.
    await h.disconnect(first);
    const session = await h.deps.stores.connections.getSession('dev-9', h.clock.now());
    expect(session?.connectionId).toBe(second);
  });

  it('a clean connection with a clientId starts from an empty session', async () => {
    const publisher = await h.client();
    const device = await h.client({ qos: '1', clientId: 'dev-10', session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'x', qos: 1 });
    await h.disconnect(device);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'x', data: 1, qos: 1, id: 'p' });
    expect(await h.pendingOf('dev-10')).toHaveLength(1);
    await h.client({ qos: '1', clientId: 'dev-10' });
    expect(await h.pendingOf('dev-10')).toEqual([]);
    expect(await h.deps.stores.subscriptions.ofSession('dev-10', h.clock.now())).toEqual([]);
  });
});

describe('acks are scoped to their own session', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('a client cannot ack, pubrec or resume another client’s message', async () => {
    const sensor = await h.client();
    const victim = await h.client({ controllers: 'monitor', qos: '2' });
    const thief = await h.client({ qos: '2' });
    await h.send(sensor, 'sensor|temp|30');
    const id = h.messages(victim)[0]?.id as string;

    await h.send(thief, { action: 'msgack', id });
    await h.send(thief, { action: 'msgack', ids: [id, 'x'] });
    await h.send(thief, `monitor|msgack|${id}`);
    await h.send(thief, { action: 'pubrec', id });
    await h.send(thief, { action: 'resume' });

    expect(await h.pendingOf(victim)).toMatchObject([{ id, state: 'sent', qos: 1 }]);
    expect(h.messages(thief)).toEqual([]);
    h.clock.advance(10_000);
    expect((await h.sweep()).resent).toBe(1);
    expect(h.messages(victim)).toHaveLength(2);
  });
});
