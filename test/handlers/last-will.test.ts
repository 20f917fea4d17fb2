import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/**
 * PROTOCOL §9 last will, on DynamoDB Local through the real management API client: published as
 * the client's own publish whenever the connection ends without a `disconnect` frame, by
 * whichever ender takes the end ($disconnect, a takeover, a Gone send, the sweep), once.
 */
describe('last will', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  let watcher: string;
  let topic: string;
  let n = 0;
  beforeEach(async () => {
    topic = `status/dev-${++n}`;
    watcher = await h.client({ qos: '2' });
    await h.send(watcher, { action: 'subscribe', controller: 'monitor', topic, qos: 2 });
  });

  /** The will messages the watcher got, a resend (`dup`, same id) counted once. */
  const willsSeen = () => h.messages(watcher).filter((m) => m.topic === topic && m.retained !== true && m.dup !== true);
  const willFrame = (overrides: Record<string, unknown> = {}) => ({ action: 'will', controller: 'monitor', topic, data: 'offline', qos: 1, retain: true, ...overrides });
  const vanish = (connectionId: string, statusCode = 1006) =>
    h.disconnectHandler({ requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId, disconnectStatusCode: statusCode, disconnectReason: 'test' } });

  it('a `will` frame is answered willack; the connection closing without `disconnect` publishes it once, as its own publish (QoS 1, retained)', async () => {
    const device = await h.client({ qos: '1' });
    await h.send(device, willFrame());
    expect(h.frames(device)).toContainEqual({ type: 'willack' });
    expect(willsSeen()).toEqual([]);

    await vanish(device);
    expect(willsSeen()).toEqual([expect.objectContaining({ controller: 'monitor', topic, data: 'offline', qos: 1, dup: false })]);
    expect(await h.pendingOf(watcher)).toHaveLength(1);
    expect(await h.deps.stores.retained.get('monitor', topic, h.clock.now())).toMatchObject({ data: 'offline', qos: 1 });

    // A late second $disconnect (API Gateway is at-least-once there too) publishes nothing more.
    await vanish(device);
    expect(willsSeen()).toHaveLength(1);
  });

  it('a will from the query parameters is kept and published the same way', async () => {
    const device = await h.client({ willController: 'monitor', willTopic: topic, willData: '{"state":"offline"}', willQos: '2' });
    expect((await h.deps.stores.connections.get(device, h.clock.now()))?.will).toEqual({ controller: 'monitor', topic, data: { state: 'offline' }, qos: 2, retain: false });
    await vanish(device);
    // QoS 2 is handed on at once (there is no client to pubrel it): the watcher gets it at 2.
    expect(willsSeen()).toEqual([expect.objectContaining({ data: { state: 'offline' }, qos: 2 })]);
    expect(await h.deps.stores.retained.get('monitor', topic, h.clock.now())).toBeUndefined();
  });

  it('bad will query parameters refuse the handshake with 400 naming the parameter, and store nothing', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ willController: 'monitor', willTopic: topic, willQos: '3' }, 'willQos must be 0, 1 or 2'],
      [{ willTopic: topic }, 'willController is required with willTopic'],
      [{ willController: 'monitor' }, 'willTopic is required with the other will parameters'],
      [{ willController: 'nosuch', willTopic: topic }, 'unknown willController: nosuch'],
      [{ willController: '$presence', willTopic: topic }, "willController cannot start with $: those controllers are the server's (PROTOCOL §9)"],
      [{ willController: 'monitor', willTopic: 'pubrel' }, 'willTopic pubrel is reserved'],
      [{ willController: 'monitor', willTopic: topic, willRetain: 'yes' }, 'willRetain must be true or false'],
      [{ willController: 'monitor', willTopic: topic, willData: 'x'.repeat(40_000) }, `willData is 40002 bytes serialized; the limit is ${h.deps.policy.maxDataBytes}`],
    ];
    for (const [query, body] of cases) {
      const refused = await h.open(query);
      expect({ status: refused.statusCode, body: refused.body }).toEqual({ status: 400, body });
      expect(await h.deps.stores.connections.get(refused.connectionId, h.clock.now())).toBeUndefined();
    }
  });

  it('no will after a `disconnect` frame: the server closes the connection (DeleteConnection), its $disconnect publishes nothing', async () => {
    const device = await h.client({ willController: 'monitor', willTopic: topic, willQos: '1' });
    await h.send(device, { action: 'disconnect' });
    expect(h.endpoint.deleted()).toContain(device);
    // A will sent after the goodbye (before the close lands) is refused: it would never be published.
    // (The error frame itself meets the closed connection, so the store shows the refusal.)
    await h.send(device, willFrame());
    expect(await h.deps.stores.connections.get(device, h.clock.now())).toMatchObject({ disconnecting: true });
    expect((await h.deps.stores.connections.get(device, h.clock.now()))?.will).toBeUndefined();
    await vanish(device, 1000);
    expect(willsSeen()).toEqual([]);
    expect(await h.deps.stores.connections.get(device, h.clock.now())).toBeUndefined();
  });

  it('`{"action":"will"}` clears the will: nothing is published', async () => {
    const device = await h.client();
    await h.send(device, willFrame());
    await h.send(device, { action: 'will' });
    expect(h.frames(device).filter((f) => f.type === 'willack')).toHaveLength(2);
    await vanish(device);
    expect(willsSeen()).toEqual([]);
  });

  it('bad will frames are BAD_REQUEST or UNKNOWN_CONTROLLER naming the rule, and leave the will as it was', async () => {
    const device = await h.client();
    await h.send(device, willFrame({ data: 'kept' }));
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ action: 'will', controller: 'monitor' }, 'BAD_REQUEST', 'a will needs a topic; send {"action":"will"} alone to clear it'],
      [willFrame({ qos: 5 }), 'BAD_REQUEST', 'qos must be 0, 1 or 2'],
      [willFrame({ retain: 'yes' }), 'BAD_REQUEST', 'retain must be true or false'],
      [willFrame({ controller: '$presence' }), 'BAD_REQUEST', 'controller $presence is reserved: only the server publishes presence (PROTOCOL §9)'],
      [willFrame({ controller: 'nosuch' }), 'UNKNOWN_CONTROLLER', 'no controller named "nosuch"'],
    ];
    for (const [frame, code, message] of cases) {
      await h.send(device, frame);
      expect(h.frames(device).at(-1)).toMatchObject({ type: 'error', code, message, action: 'will' });
    }
    await vanish(device);
    expect(willsSeen()).toEqual([expect.objectContaining({ data: 'kept' })]);
  });

  it('a will runs the controller method of its topic, as the publish would (sensor/temp invokes the monitors)', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const device = await h.client();
    await h.send(device, { action: 'will', controller: 'sensor', topic: 'temp', data: -273, qos: 1 });
    await vanish(device);
    expect(h.messages(monitor)).toEqual([expect.objectContaining({ controller: 'monitor', topic: 'temp', data: -273, qos: 1 })]);
  });

  it('a takeover by another connection of the clientId publishes the will of the one it closes, once', async () => {
    const first = await h.client({ clientId: `dev-take-${n}`, willController: 'monitor', willTopic: topic, willData: 'taken over' });
    const second = await h.client({ clientId: `dev-take-${n}` });
    expect(h.endpoint.deleted()).toContain(first);
    expect(willsSeen()).toEqual([expect.objectContaining({ data: 'taken over', qos: 0 })]);
    // The closed connection's $disconnect finds its end taken: no second will.
    await vanish(first, 1000);
    expect(willsSeen()).toHaveLength(1);
    expect(await h.deps.stores.connections.get(second, h.clock.now())).toBeDefined();
  });

  it('a Gone send during a fan-out publishes the dead connection’s will, once', async () => {
    const device = await h.client({ controllers: 'monitor', qos: '1', willController: 'monitor', willTopic: topic, willQos: '1' });
    const sensor = await h.client();
    h.endpoint.markGone(device);
    await h.send(sensor, 'sensor|temp|5');
    expect(willsSeen()).toEqual([expect.objectContaining({ data: null, qos: 1 })]);
    // Its $disconnect, late, finds nothing left to do.
    await vanish(device);
    expect(willsSeen()).toHaveLength(1);
  });

  it('the sweep that finds a connection gone publishes its will, once', async () => {
    const device = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(device, willFrame({ data: 'swept' }));
    const sensor = await h.client();
    await h.send(sensor, 'sensor|temp|6');
    expect(await h.pendingOf(device)).toHaveLength(1);
    h.endpoint.markGone(device);
    h.clock.advance(10_000);
    expect((await h.sweep()).gone).toBe(1);
    expect(willsSeen()).toEqual([expect.objectContaining({ data: 'swept' })]);
    h.clock.advance(60_000);
    await h.sweep();
    await vanish(device);
    expect(willsSeen()).toHaveLength(1);
  });
});
