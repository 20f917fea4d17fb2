import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONNECTION_DURATION_MS } from '../../lambdas/core/presence.js';
import { Harness } from '../support/harness.js';

/**
 * PROTOCOL §9 presence, on DynamoDB Local: `$presence/<clientId>` (the connection id without
 * one), QoS 1, retained, `connected` when a connection opens and `disconnected` with the reason
 * when it ends.
 */
describe('presence', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  let n = 0;
  /** A watcher of one client's presence; the retained value, if any, arrives at once. */
  async function watch(clientId: string): Promise<() => Array<Record<string, unknown>>> {
    const watcher = await h.client({ qos: '1' });
    await h.send(watcher, { action: 'subscribe', controller: '$presence', topic: clientId, qos: 1 });
    expect(h.frames(watcher)).toContainEqual({ type: 'suback', controller: '$presence', topic: clientId, qos: 1 });
    return () =>
      h
        .messages(watcher)
        .filter((m) => m.controller === '$presence' && m.topic === clientId && m.dup !== true)
        .map((m) => ({ ...(m.data as Record<string, unknown>), qos: m.qos, ...(m.retained ? { retained: true } : {}) }));
  }
  const end = (connectionId: string, disconnectStatusCode: number) =>
    h.disconnectHandler({ requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId, disconnectStatusCode, disconnectReason: 'test' } });

  it('connected, then disconnected with the reason, reach a $presence subscriber at QoS 1, and the last is retained', async () => {
    const clientId = `dev-${++n}`;
    const seen = await watch(clientId);
    const connectedAt = h.clock.now();
    const device = await h.client({ clientId });
    expect(seen()).toEqual([{ event: 'connected', clientId, connectionId: device, at: connectedAt, qos: 1 }]);
    expect(await h.deps.stores.retained.get('$presence', clientId, h.clock.now())).toMatchObject({ data: { event: 'connected', connectionId: device }, qos: 1 });

    h.clock.advance(5_000);
    await end(device, 1006);
    expect(seen().at(-1)).toEqual({ event: 'disconnected', clientId, connectionId: device, at: connectedAt + 5_000, reason: 'gone', qos: 1 });
    expect(await h.deps.stores.retained.get('$presence', clientId, h.clock.now())).toMatchObject({ data: { event: 'disconnected', reason: 'gone' } });
    // A late watcher sees who is (not) online now: the retained value.
    const late = await watch(clientId);
    expect(late()).toEqual([expect.objectContaining({ event: 'disconnected', reason: 'gone', retained: true })]);
  });

  it('a connection without clientId is listed under its connection id, clientId null', async () => {
    // (API Gateway's connection ids end in `=`, which no topic name may hold: such a connection is
    // seen through `$presence` / `#`, and in the retained store, not by an exact subscription.)
    const device = await h.client();
    expect(await h.deps.stores.retained.get('$presence', device, h.clock.now())).toMatchObject({
      data: { event: 'connected', clientId: null, connectionId: device },
      qos: 1,
    });
  });

  it('the reasons: client disconnect, idle timeout, max duration, takeover', async () => {
    const goodbye = `bye-${++n}`;
    const seenGoodbye = await watch(goodbye);
    const polite = await h.client({ clientId: goodbye });
    await h.send(polite, { action: 'disconnect' });
    await end(polite, 1000);
    expect(seenGoodbye().at(-1)).toMatchObject({ event: 'disconnected', reason: 'client disconnect' });

    const idle = `idle-${n}`;
    const seenIdle = await watch(idle);
    const sleeper = await h.client({ clientId: idle });
    h.clock.advance(10 * 60_000);
    await end(sleeper, 1001);
    expect(seenIdle().at(-1)).toMatchObject({ event: 'disconnected', reason: 'idle timeout' });

    const old = `old-${n}`;
    const seenOld = await watch(old);
    const elder = await h.client({ clientId: old });
    h.clock.advance(MAX_CONNECTION_DURATION_MS);
    await end(elder, 1001);
    expect(seenOld().at(-1)).toMatchObject({ event: 'disconnected', reason: 'max duration' });

    const twice = `twice-${n}`;
    const seenTwice = await watch(twice);
    const first = await h.client({ clientId: twice });
    const second = await h.client({ clientId: twice });
    await end(first, 1000);
    // The closed one's disconnected (takeover) comes before the new one's connected, which stays retained.
    expect(seenTwice().map((m) => [m.event, m.connectionId, m.reason])).toEqual([
      ['connected', first, undefined],
      ['disconnected', first, 'takeover'],
      ['connected', second, undefined],
    ]);
    expect(await h.deps.stores.retained.get('$presence', twice, h.clock.now())).toMatchObject({ data: { event: 'connected', connectionId: second } });
  });

  it('a send that finds the connection gone says `gone`, once', async () => {
    const clientId = `lost-${++n}`;
    const seen = await watch(clientId);
    const device = await h.client({ clientId, controllers: 'monitor', qos: '1' });
    const sensor = await h.client();
    h.endpoint.markGone(device);
    await h.send(sensor, 'sensor|temp|7');
    await end(device, 1006);
    expect(seen().filter((m) => m.event === 'disconnected')).toEqual([expect.objectContaining({ reason: 'gone', connectionId: device })]);
  });

  it('clients cannot publish to $presence nor to any $ controller: BAD_REQUEST saying why, nothing retained', async () => {
    const clientId = `fake-${++n}`;
    const liar = await h.client();
    await h.send(liar, { action: 'publish', controller: '$presence', topic: clientId, data: { event: 'connected' }, qos: 1, id: 'p1', retain: true });
    expect(h.frames(liar).at(-1)).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'controller $presence is reserved: only the server publishes presence (PROTOCOL §9)', action: 'publish', id: 'p1' });
    await h.send(liar, `$presence|${clientId}|x`);
    expect(h.frames(liar).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'controller $presence is reserved: only the server publishes presence (PROTOCOL §9)' });
    await h.send(liar, { action: 'subscribe', controller: '$sys', topic: 'x' });
    expect(h.frames(liar).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'controller names starting with $ are reserved for the server (PROTOCOL §9); only $presence can be subscribed to' });
    expect(await h.deps.stores.retained.get('$presence', clientId, h.clock.now())).toBeUndefined();
  });
});
