import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/**
 * Issue 12 point 1, PROTOCOL §4: invokeToAll reaches a persistent session that has the
 * controller open, connected or not, for the session TTL, exactly as its subscriptions do.
 */
describe('a persistent session’s controllers outlive its connection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  const monitorQuery = (clientId: string) => ({ clientId, session: 'persistent', qos: '1', controllers: 'monitor' });

  it('the seed: temps sent while the monitor is away are parked, and arrive on resume', async () => {
    const monitor = await h.client(monitorQuery('dev-7'));
    await h.disconnect(monitor);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|25.3');
    await h.send(sensor, 'sensor|temp|25.3');

    expect(await h.pendingOf('dev-7')).toMatchObject([
      { data: 25.3, qos: 1, parked: true },
      { data: 25.3, qos: 1, parked: true },
    ]);
    expect(h.messages(monitor)).toEqual([]);

    const back = await h.client(monitorQuery('dev-7'));
    await h.send(back, { action: 'resume' });
    const resumed = h.messages(back);
    expect(resumed).toEqual([
      expect.objectContaining({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, dup: false }),
      expect.objectContaining({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, dup: false }),
    ]);
    expect(new Set(resumed.map((m) => m.id)).size).toBe(2);
  });

  it('while connected it gets each temp once, and after a reconnect without `controllers` still gets them', async () => {
    const sensor = await h.client({ controllers: 'sensor' });
    const first = await h.client(monitorQuery('dev-11'));
    await h.send(sensor, 'sensor|temp|1');
    expect(h.messages(first)).toEqual([expect.objectContaining({ data: 1, qos: 1, dup: false })]);

    // The session keeps its controllers, as it keeps its subscriptions: the new connection inherits them.
    const second = await h.client({ clientId: 'dev-11', session: 'persistent', qos: '1' });
    await h.send(sensor, 'sensor|temp|2');
    expect(h.messages(second)).toEqual([expect.objectContaining({ data: 2, qos: 1, dup: false })]);
    expect(h.messages(first)).toHaveLength(1);
    expect((await h.deps.stores.connections.get(second, h.clock.now()))?.controllers).toEqual(['monitor']);
  });

  it('a controller opened later by a frame counts too', async () => {
    const device = await h.client({ clientId: 'dev-12', session: 'persistent', qos: '1' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'unrelated', qos: 1 });
    await h.disconnect(device);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|3');
    expect(await h.pendingOf('dev-12')).toMatchObject([{ topic: 'temp', data: 3, parked: true }]);
  });

  it('QoS 0 for an away session is dropped, not stored', async () => {
    const monitor = await h.client({ clientId: 'dev-13', session: 'persistent', controllers: 'monitor' });
    await h.disconnect(monitor);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|4');
    expect(await h.pendingOf('dev-13')).toEqual([]);
    expect((await h.deps.stores.connections.sessionControllers('dev-13', h.clock.now())).map((m) => m.controller)).toEqual(['monitor']);
  });

  it('only for the session TTL', async () => {
    const monitor = await h.client(monitorQuery('dev-14'));
    await h.disconnect(monitor);
    h.clock.advance(h.deps.policy.sessionTtlMs + 1);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|5');
    expect(await h.pendingOf('dev-14')).toEqual([]);
  });

  it('a clean session is unchanged: its controllers go with the connection', async () => {
    const monitor = await h.client({ clientId: 'dev-15', qos: '1', controllers: 'monitor' });
    await h.disconnect(monitor);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|6');
    expect(await h.pendingOf('dev-15')).toEqual([]);
  });

  it('a clean connection taking over the clientId ends the persistent session’s controllers', async () => {
    const monitor = await h.client(monitorQuery('dev-16'));
    await h.disconnect(monitor);
    const clean = await h.client({ clientId: 'dev-16', qos: '1' });
    await h.disconnect(clean);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|7');
    expect(await h.pendingOf('dev-16')).toEqual([]);
  });
});
