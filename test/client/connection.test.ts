import { describe, expect, it } from 'vitest';
import { GOODBYE_WAIT_MS, QosgateClient } from '../../client/client.js';
import { ConnectError, ConnectionRefusedError, SessionTakenOverError } from '../../client/errors.js';
import { openFakeClient } from './support/client-fixture.js';
import { fakeWebSocket, FakeTime, settle } from './support/fakes.js';

describe('the client connection: reconnect, resume, ping, re-open', () => {
  it('connects with the PROTOCOL §1 query parameters', async () => {
    const { socket } = await openFakeClient({ qos: 2, controllers: ['monitor'], clientId: 'dev-7', session: 'persistent', token: 'abc' });
    expect(Object.fromEntries(new URL(socket().url).searchParams)).toEqual({ qos: '2', controllers: 'monitor', clientId: 'dev-7', session: 'persistent', format: 'json', token: 'abc' });
  });

  it('reconnects by itself with exponential backoff and full jitter, capped, and resets after an open', async () => {
    const draws = [0.5, 0.25, 1 - 1e-9, 1 - 1e-9, 0.5];
    const { client, time, transport } = await openFakeClient({ random: () => draws.shift() ?? 0.5, reconnect: { initialDelayMs: 100, maxDelayMs: 300 } });
    const delays: number[] = [];
    client.events.on('reconnecting', (r) => delays.push(r.delayMs));
    transport.last().serverClose(1001);
    for (let i = 0; i < 3; i++) {
      await time.advance(delays.at(-1) as number);
      transport.last().serverClose(1006); // the attempt fails
    }
    await time.advance(delays.at(-1) as number);
    transport.last().accept();
    await settle();
    transport.last().serverClose(1006);
    // windows 100, 200, 300 (the cap), 300; after an open, 100 again.
    expect(delays).toEqual([50, 50, 299, 299, 50]);
    expect(client.connected).toBe(false);
    await client.close();
  });

  it('a persistent session sends resume on every open, before resending its own publishes; a clean one never does', async () => {
    const persistent = await openFakeClient({ clientId: 'dev-7', session: 'persistent' });
    expect(persistent.socket().actions()).toEqual(['resume']);
    persistent.socket().serverClose(1006);
    await persistent.time.advance(1000);
    persistent.socket().accept();
    await settle();
    expect(persistent.socket().actions()).toEqual(['resume']);

    const clean = await openFakeClient();
    clean.socket().serverClose(1006);
    await clean.time.advance(1000);
    clean.socket().accept();
    await settle();
    expect(clean.socket().actions()).toEqual([]);
  });

  it('acks waiting when the connection dropped go out first on the next one (before resume)', async () => {
    const { client, time, transport } = await openFakeClient({ clientId: 'dev-7', session: 'persistent', ackBatchMs: 50 });
    client.on('*', '*', () => undefined);
    transport.last().deliver({ type: 'message', controller: 'monitor', topic: 'temp', data: 1, qos: 1, id: 'm1', dup: false });
    await settle();
    transport.last().serverClose(1006);
    await time.advance(1000);
    transport.last().accept();
    await settle();
    expect(transport.last().frames()).toEqual([{ action: 'msgack', ids: ['m1'] }, { action: 'resume' }]);
  });

  it('pings every interval under the idle limit; a missing pong replaces the connection', async () => {
    const { client, time, transport } = await openFakeClient({ pingIntervalMs: 60_000, pongTimeoutMs: 5_000 });
    const first = transport.last();
    await time.advance(60_000);
    expect(first.actions()).toEqual(['ping']);
    first.deliver({ type: 'pong' });
    await time.advance(60_000);
    expect(first.actions()).toEqual(['ping', 'ping']);
    await time.advance(5_000); // no pong this time
    expect(first.closedWith).toMatchObject({ code: 4000, reason: 'no pong' });
    await time.advance(1_000);
    expect(transport.sockets).toHaveLength(2);
    await client.close();
  });

  it('persistent: re-opens before the 2 h limit with a new connection first, then resumes and resends; the old close is no loss', async () => {
    const { client, time, transport } = await openFakeClient({ clientId: 'dev-7', session: 'persistent', maxConnectionMs: 60_000, pingIntervalMs: 0, ackTimeoutMs: 600_000 });
    const closes: unknown[] = [];
    client.events.on('close', (c) => closes.push(c));
    const old = transport.last();
    const pending = client.publish('sensor', 'temp', 5, { qos: 1 });
    await settle();
    await time.advance(60_000);
    const replacement = transport.last();
    expect(replacement).not.toBe(old);
    expect(client.connected).toBe(true); // the old one carries on while the new one opens
    replacement.accept();
    await settle();
    expect(old.closedWith).toMatchObject({ code: 1000 });
    expect(closes).toEqual([]);
    expect(replacement.frames()).toEqual([{ action: 'resume' }, { action: 'publish', controller: 'sensor', topic: 'temp', data: 5, qos: 1, id: 'c-1', dup: true }]);
    replacement.deliver({ type: 'msgack', id: 'c-1' });
    await expect(pending).resolves.toBeUndefined();
    await client.close();
  });

  it('persistent re-open when the server closes the old connection before the new one is seen open: no extra reconnect', async () => {
    const { client, time, transport } = await openFakeClient({ clientId: 'dev-7', session: 'persistent', maxConnectionMs: 60_000, pingIntervalMs: 0 });
    const old = transport.last();
    await time.advance(60_000);
    const replacement = transport.last();
    old.serverClose(1000); // the takeover
    await time.advance(5_000);
    expect(transport.sockets).toHaveLength(2);
    replacement.accept();
    await time.advance(5_000);
    expect(transport.sockets).toHaveLength(2);
    expect(client.connected).toBe(true);
    expect(replacement.actions()).toEqual(['resume']);
    await client.close();
  });

  it('a failed re-open leaves the old connection in use', async () => {
    const { client, time, transport } = await openFakeClient({ clientId: 'dev-7', session: 'persistent', maxConnectionMs: 60_000, pingIntervalMs: 0 });
    const old = transport.last();
    await time.advance(60_000);
    transport.last().serverClose(1006);
    await time.advance(5_000);
    expect(client.connected).toBe(true);
    const done = client.publish('sensor', 'temp', 1, { qos: 1 });
    await settle();
    expect(old.actions()).toEqual(['resume', 'publish']);
    old.deliver({ type: 'msgack', id: 'c-1' });
    await expect(done).resolves.toBeUndefined();
    await client.close();
  });

  it('clean: re-opens after its unanswered publishes are answered (new ones wait), then reconnects at once', async () => {
    const { client, time, transport } = await openFakeClient({ maxConnectionMs: 60_000, pingIntervalMs: 0, ackTimeoutMs: 600_000 });
    const old = transport.last();
    void client.publish('sensor', 'temp', 1, { qos: 1 });
    await settle();
    await time.advance(60_000);
    const later = client.publish('sensor', 'temp', 2, { qos: 1 });
    await time.advance(200);
    expect(old.frames().map((f) => f.data)).toEqual([1]); // the new publish waits
    old.deliver({ type: 'msgack', id: 'c-1' });
    await time.advance(100);
    expect(old.closedWith).toMatchObject({ code: 1000 });
    await time.advance(0);
    const fresh = transport.last();
    expect(fresh).not.toBe(old);
    fresh.accept();
    await settle();
    expect(fresh.frames()).toEqual([{ action: 'publish', controller: 'sensor', topic: 'temp', data: 2, qos: 1, id: 'c-2', dup: false }]);
    fresh.deliver({ type: 'msgack', id: 'c-2' });
    await expect(later).resolves.toBeUndefined();
    await client.close();
  });

  it('a clean session subscribes again after a reconnect (the server forgot); subscribe resolves with the granted QoS', async () => {
    const { client, time, transport } = await openFakeClient({ qos: 1 });
    const granted = client.subscribe('monitor', 'temp', { qos: 2 });
    transport.last().deliver({ type: 'suback', controller: 'monitor', topic: 'temp', qos: 1 });
    await expect(granted).resolves.toBe(1);
    transport.last().serverClose(1006);
    await time.advance(1000);
    transport.last().accept();
    await settle();
    expect(transport.last().frames()).toEqual([{ action: 'subscribe', controller: 'monitor', topic: 'temp', qos: 2 }]);
    const refused = client.subscribe('nope', 'temp');
    transport.last().deliver({ type: 'error', code: 'UNKNOWN_CONTROLLER', message: 'unknown controller: nope', action: 'subscribe' });
    await expect(refused).rejects.toMatchObject({ name: 'ServerRefusedError', code: 'UNKNOWN_CONTROLLER' });
    await client.close();
  });

  it('the first connection failing rejects open() with ConnectError, and nothing is retried', async () => {
    const time = new FakeTime();
    const transport = fakeWebSocket();
    const client = new QosgateClient({ url: 'ws://nowhere.test/dev', WebSocket: transport.WebSocket, timers: time, clock: time });
    const opened = client.open();
    await settle();
    transport.last().serverClose(1006, 'Unexpected server response: 400');
    await expect(opened).rejects.toBeInstanceOf(ConnectError);
    await expect(opened).rejects.toThrow(/400/);
    await time.advance(60_000);
    expect(transport.sockets).toHaveLength(1);
  });

  it('a connection that does not open in time is given up', async () => {
    const time = new FakeTime();
    const transport = fakeWebSocket();
    const client = new QosgateClient({ url: 'ws://slow.test/dev', WebSocket: transport.WebSocket, timers: time, clock: time, connectTimeoutMs: 2000 });
    const opened = client.open();
    opened.catch(() => undefined);
    await time.advance(2000);
    await expect(opened).rejects.toThrow(/connect timeout/);
  });

  it('a persistent session needs a clientId', () => {
    expect(() => new QosgateClient({ url: 'ws://h/dev', WebSocket: fakeWebSocket().WebSocket, session: 'persistent' })).toThrow(/clientId/);
  });

  describe('a refused handshake (PROTOCOL §1: 400, 401, 403 ...)', () => {
    it('the first connect rejects with the status and the server\'s reason, the token kept out of the message', async () => {
      const time = new FakeTime();
      const transport = fakeWebSocket();
      const client = new QosgateClient({ url: 'ws://qosgate.test/dev?token=secret.jwt.value', controllers: ['nope'], WebSocket: transport.WebSocket, timers: time, clock: time });
      const opened = client.open().catch((e: unknown) => e);
      await settle();
      transport.last().refuse(400, 'unknown controller: nope');
      const error = await opened;
      expect(error).toBeInstanceOf(ConnectionRefusedError);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ code: 'CONNECT_REFUSED', status: 400, reason: 'unknown controller: nope' });
      expect((error as Error).message).toBe('could not connect to ws://qosgate.test/dev?token=…: refused (400): unknown controller: nope');
    });

    it('after a good connection, a refusal retrying cannot change (401) stops the client and says why; unanswered publishes reject with it', async () => {
      const { client, time, transport, errors } = await openFakeClient();
      const closes: unknown[] = [];
      client.events.on('close', (c) => closes.push(c));
      transport.last().serverClose(1006);
      const publish = client.publish('sensor', 'temp', 1, { qos: 1 }).catch((e: unknown) => e);
      await time.advance(1000);
      transport.last().refuse(401, 'Unauthorized');
      await time.advance(60_000);
      expect(transport.sockets).toHaveLength(2); // no third attempt
      expect(await publish).toBeInstanceOf(ConnectionRefusedError);
      expect(errors.map((e) => e.message)).toEqual(['could not connect to ws://qosgate.test/dev: refused (401): Unauthorized']);
      expect(closes.at(-1)).toMatchObject({ reconnecting: false, reason: expect.stringContaining('refused (401)') });
    });

    it('a refusal that may pass (429, 5xx) is retried with the usual backoff', async () => {
      const { client, time, transport } = await openFakeClient();
      const delays: number[] = [];
      client.events.on('reconnecting', (r) => delays.push(r.delayMs));
      transport.last().serverClose(1006);
      for (const status of [503, 429, 500]) {
        await time.advance(delays.at(-1) as number);
        transport.last().refuse(status, 'Service Unavailable');
      }
      await time.advance(delays.at(-1) as number);
      transport.last().accept();
      await settle();
      expect(client.connected).toBe(true);
      expect(delays).toHaveLength(4);
    });
  });

  describe('a takeover: another client with the same clientId (PROTOCOL §1)', () => {
    it('closed by the server (1000) right after each open: reported as a takeover, and each reconnect waits longer', async () => {
      const { client, time, transport, errors } = await openFakeClient({ clientId: 'dev-7', random: () => 0.5 });
      const takeovers: unknown[] = [];
      const delays: number[] = [];
      client.events.on('takeover', (t) => takeovers.push(t));
      client.events.on('reconnecting', (r) => delays.push(r.delayMs));
      for (let i = 0; i < 4; i++) {
        await time.advance(100);
        transport.last().serverClose(1000, 'Connection Closed Normally');
        await time.advance(delays.at(-1) as number);
        transport.last().accept();
        await settle();
      }
      // Equal jitter on a doubling window: 750 of 1000, 1500 of 2000 ... never at once.
      expect(delays).toEqual([750, 1500, 3000, 6000]);
      expect(takeovers).toEqual([1, 2, 3, 4].map((count, i) => ({ clientId: 'dev-7', count, delayMs: delays[i] })));
      expect(errors.at(-1)).toBeInstanceOf(SessionTakenOverError);
      expect(errors.at(-1)?.message).toMatch(/^session taken over: another connection with clientId dev-7 took the session .*4 times in a row.*reconnecting in 6000 ms/);
    });

    it('a reconnect refused with 409 (a newer connection took the session while it was connecting) is a takeover too: reported, and retried after a longer wait each time', async () => {
      const { client, time, transport, errors } = await openFakeClient({ clientId: 'dev-7', random: () => 0.5 });
      const takeovers: unknown[] = [];
      const delays: number[] = [];
      client.events.on('takeover', (t) => takeovers.push(t));
      client.events.on('reconnecting', (r) => delays.push(r.delayMs));
      await time.advance(100);
      transport.last().serverClose(1000, 'Connection Closed Normally');
      for (let i = 0; i < 2; i++) {
        await time.advance(delays.at(-1) as number);
        transport.last().refuse(409, 'taken over: a newer connection with this clientId took the session while this one was connecting');
      }
      await time.advance(delays.at(-1) as number);
      transport.last().accept();
      await settle();
      expect(client.connected).toBe(true);
      expect(delays).toEqual([750, 1500, 3000]);
      expect(takeovers).toEqual([1, 2, 3].map((count, i) => ({ clientId: 'dev-7', count, delayMs: delays[i] })));
      expect(errors.at(-1)).toBeInstanceOf(SessionTakenOverError);
    });

    it('a first open refused with 409 is retried as a takeover, and open() resolves once a retry is accepted', async () => {
      const time = new FakeTime();
      const transport = fakeWebSocket();
      const client = new QosgateClient({ url: 'ws://qosgate.test/dev', clientId: 'dev-7', random: () => 0.5, WebSocket: transport.WebSocket, timers: time, clock: time });
      const takeovers: unknown[] = [];
      client.events.on('takeover', (t) => takeovers.push(t));
      const opened = client.open();
      await settle();
      transport.last().refuse(409, 'taken over: a newer connection with this clientId took the session while this one was connecting');
      await time.advance(750);
      transport.last().accept();
      await opened;
      expect(client.connected).toBe(true);
      expect(takeovers).toEqual([{ clientId: 'dev-7', count: 1, delayMs: 750 }]);
      await client.close();
    });

    it('a close 1000 long after the open, one without a clientId, or the client\'s own re-open is no takeover', async () => {
      const late = await openFakeClient({ clientId: 'dev-7', random: () => 0.5 });
      const seen: unknown[] = [];
      late.client.events.on('takeover', (t) => seen.push(t));
      await late.time.advance(61_000);
      late.socket().serverClose(1000);
      const anonymous = await openFakeClient({ random: () => 0.5 });
      anonymous.client.events.on('takeover', (t) => seen.push(t));
      anonymous.socket().serverClose(1000);
      const reopening = await openFakeClient({ clientId: 'dev-8', maxConnectionMs: 1000, random: () => 0.5 });
      reopening.client.events.on('takeover', (t) => seen.push(t));
      await reopening.time.advance(1000);
      await settle();
      expect(reopening.transport.sockets[0]?.closedWith).toMatchObject({ code: 1000 });
      expect(seen).toEqual([]);
    });
  });
});

describe('close(): a clean goodbye (PROTOCOL §2 disconnect)', () => {
  it('sends disconnect and waits for the server to close; it does not close first (its close would publish the will)', async () => {
    const { client, socket } = await openFakeClient({ will: { controller: 'monitor', topic: 'status/dev-7', data: 'offline' } });
    expect(new URL(socket().url).searchParams.get('willTopic')).toBe('status/dev-7');
    await client.close();
    expect(socket().frames().at(-1)).toEqual({ action: 'disconnect' });
    // The server closed it (1000): the client never sent a close of its own.
    expect(socket().closedWith).toBeUndefined();
  });

  it('closes by itself when the server has not closed within GOODBYE_WAIT_MS', async () => {
    const { client, socket, time } = await openFakeClient();
    const fake = socket();
    // A server that ignores the goodbye.
    fake.send = (data: string) => void fake.sent.push(data);
    const closing = client.close();
    await settle();
    expect(fake.frames().at(-1)).toEqual({ action: 'disconnect' });
    expect(fake.closedWith).toBeUndefined();
    await time.advance(GOODBYE_WAIT_MS);
    await closing;
    expect(fake.closedWith).toEqual({ code: 1000, reason: 'client closed' });
  });

  it('the will is sent again on every reconnect (it is in the URL)', async () => {
    const { client, time, transport } = await openFakeClient({ will: { controller: 'monitor', topic: 't', qos: 1 } });
    transport.last().serverClose(1006);
    await time.advance(1000);
    expect(new URL(transport.last().url).searchParams.get('willQos')).toBe('1');
    expect(transport.sockets.length).toBeGreaterThan(1);
    await client.close();
  });
});
