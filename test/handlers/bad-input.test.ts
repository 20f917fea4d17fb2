import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/** Every malformed, oversized or out-of-order frame gets a clear error frame and changes nothing. */
describe('bad input', () => {
  let h: Harness;
  let monitor: string;
  let client: string;

  beforeAll(async () => {
    h = await Harness.start({ policy: { maxDataBytes: 1024 } });
    const sensor = await h.client();
    monitor = await h.client({ controllers: 'monitor', qos: '2' });
    client = await h.client({ qos: '2' });
    await h.send(sensor, 'sensor|temp|20');
  });
  afterAll(() => h.close());

  const cases: Array<[string, object | string, string, RegExp]> = [
    ['unparsable JSON', '{"action":', 'BAD_FRAME', /./],
    ['a JSON value that is not an object', '25.3', 'BAD_FRAME', /./],
    ['an unknown action', { action: 'launch' }, 'UNKNOWN_ACTION', /unknown action/],
    ['a publish without a controller', { action: 'publish', topic: 't' }, 'BAD_REQUEST', /controller/],
    ['a bad qos', { action: 'publish', controller: 'monitor', topic: 't', qos: 3, id: 'x' }, 'BAD_REQUEST', /qos must be 0, 1 or 2/],
    ['QoS 1 without an id', { action: 'publish', controller: 'monitor', topic: 't', qos: 1 }, 'BAD_REQUEST', /id/],
    ['an unknown controller', { action: 'publish', controller: 'boiler', topic: 't', data: 1 }, 'UNKNOWN_CONTROLLER', /boiler/],
    ['an unknown controller in a text frame', 'boiler|temp|1', 'UNKNOWN_CONTROLLER', /boiler/],
    ['a reserved topic', { action: 'publish', controller: 'monitor', topic: 'msgack', data: 1 }, 'BAD_REQUEST', /reserved/],
    ['data over the limit', { action: 'publish', controller: 'monitor', topic: 't', data: 'x'.repeat(2000) }, 'TOO_LARGE', /./],
    ['a sensor reading that is not a number', 'sensor|temp|hot', 'BAD_REQUEST', /number/],
    ['a subscribe to an unknown controller', { action: 'subscribe', controller: 'nope', topic: 't' }, 'UNKNOWN_CONTROLLER', /nope/],
    ['a msgack with no id', { action: 'msgack' }, 'BAD_REQUEST', /id/],
    ['a pubrel with a non-string id', { action: 'pubrel', id: 7 }, 'BAD_REQUEST', /id/],
  ];

  for (const [name, frame, code, message] of cases) {
    it(`${name} → ${code}, the connection stays usable, nothing pending changes`, async () => {
      const before = await h.pendingOf(monitor);
      const result = await h.send(client, frame);
      expect(result.statusCode).toBe(200);
      const answer = h.frames(client).at(-1);
      expect(answer).toMatchObject({ type: 'error', code });
      expect((answer as { message: string }).message).toMatch(message);
      expect(await h.pendingOf(monitor)).toEqual(before);
      await h.send(client, { action: 'ping' });
      expect(h.frames(client).at(-1)).toEqual({ type: 'pong' });
    });
  }

  it('an error names the action and id of the frame it answers', async () => {
    await h.send(client, { action: 'publish', controller: 'monitor', topic: 't', qos: 7, id: 'c-9' });
    expect(h.frames(client).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'publish', id: 'c-9' });
  });

  it('acking an unknown id is harmless and silent', async () => {
    const count = h.frames(client).length;
    await h.send(client, { action: 'msgack', id: 'never-sent' });
    expect(h.frames(client)).toHaveLength(count);
  });

  it('a pubrel for an unknown id is answered msgack and hands nothing on', async () => {
    await h.send(client, { action: 'pubrel', id: 'nothing' });
    expect(h.frames(client).at(-1)).toEqual({ type: 'msgack', id: 'nothing' });
  });

  it('a frame from a connection the server does not know gets an error, not a crash', async () => {
    const result = await h.send('ghost=', { action: 'ping' });
    expect(result.statusCode).toBe(200);
    expect(h.frames('ghost=')).toMatchObject([{ type: 'error', code: 'BAD_REQUEST' }]);
  });

  it('a handler failure that is not the client’s fault is INTERNAL, with no internals in it', async () => {
    const broken = await Harness.start();
    try {
      const c = await broken.client({ qos: '1' });
      broken.deps.stores.inbound.putIfAbsent = () => Promise.reject(new Error('table on fire at arn:aws:secret'));
      const result = await broken.send(c, { action: 'publish', controller: 'monitor', topic: 't', data: 1, qos: 2, id: 'x' });
      expect(result.statusCode).toBe(200);
      const answer = broken.frames(c).at(-1) as { code: string; message: string };
      expect(answer).toMatchObject({ type: 'error', code: 'INTERNAL', action: 'publish', id: 'x' });
      expect(answer.message).not.toMatch(/arn|fire/);
      expect(broken.log.lines.some((l) => l.level === 'error' && JSON.stringify(l.fields).includes('table on fire'))).toBe(true);
    } finally {
      await broken.close();
    }
  });
});

describe('bad handshakes (PROTOCOL §1)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it.each([
    [{ qos: '3' }],
    [{ qos: 'high' }],
    [{ session: 'forever', clientId: 'a' }],
    [{ clientId: 'has space' }],
    [{ controllers: 'boiler' }],
    [{ format: 'xml' }],
  ])('%o is refused with 400 and stores nothing', async (query) => {
    const { statusCode, body, connectionId } = await h.open(query);
    expect(statusCode).toBe(400);
    expect(body).toBeTruthy();
    expect(await h.deps.stores.connections.get(connectionId, h.clock.now())).toBeUndefined();
  });

  it('takes QoS in any case of the name', async () => {
    const id = await h.client({ QoS: '1', controllers: 'monitor' });
    expect((await h.deps.stores.connections.get(id, h.clock.now()))?.claimedQos).toBe(1);
  });
});
