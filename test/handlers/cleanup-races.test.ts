import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';
import { holdAfter } from '../support/store-hooks.js';

/**
 * Issue 12 C and "a clean session's slow cleanup": the old connection's cleanup racing a
 * takeover by the same clientId, on DynamoDB Local, with the order forced by holding one store
 * call of the cleanup until the new connection is in. Every write the cleanup makes for the
 * session must be conditional on it still belonging to the ending connection.
 */
describe('the old connection’s cleanup racing a takeover', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('persistent: A’s $disconnect detaching after B took over leaves B’s subscriptions and controllers pointing at B', async () => {
    const query = { clientId: 'race-c', session: 'persistent', qos: '1', controllers: 'monitor' };
    const a = await h.client(query);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });

    // A's detachSession runs (A still owns the session), then A waits before its other writes.
    const held = holdAfter(h.deps.stores.connections, 'detachSession', (sessionId) => sessionId === 'race-c');
    const cleanup = h.disconnect(a);
    await held.reached;
    // B's takeover: putSession, then subscriptions and memberships re-pointed at B.
    const b = await h.client(query);
    held.release();
    await cleanup;
    held.restore();

    const now = h.clock.now();
    expect((await h.deps.stores.connections.getSession('race-c', now))?.connectionId).toBe(b);
    expect((await h.deps.stores.subscriptions.ofSession('race-c', now)).map((s) => s.connectionId)).toEqual([b]);
    expect((await h.deps.stores.connections.sessionControllers('race-c', now)).map((m) => m.connectionId)).toEqual([b]);

    // So B, connected, gets both kinds of message sent, not parked.
    const publisher = await h.client();
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    await h.send(publisher, 'sensor|temp|21');
    expect(h.messages(b).map((m) => m.data)).toEqual(['reboot', 21]);
    expect((await h.pendingOf('race-c')).map((e) => e.parked)).toEqual([false, false]);
  });

  it('persistent: A’s late cleanup does not park the entries B is being sent', async () => {
    const query = { clientId: 'race-p', session: 'persistent', qos: '1', controllers: 'monitor' };
    const a = await h.client(query);
    const held = holdAfter(h.deps.stores.connections, 'detachSession', (sessionId) => sessionId === 'race-p');
    const cleanup = h.disconnect(a);
    await held.reached;
    const b = await h.client(query);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|22');
    expect(h.messages(b).map((m) => m.data)).toEqual([22]);
    held.release();
    await cleanup;
    held.restore();

    expect(await h.pendingOf('race-p')).toMatchObject([{ connectionId: b, parked: false, data: 22 }]);
  });

  it('clean: A’s slow cleanup does not delete what B, reconnecting with the clientId, has just made', async () => {
    const query = { clientId: 'race-k', qos: '1' };
    const a = await h.client(query);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'old', qos: 1 });

    // A releases the session record (deleteSession), then waits before deleting what it had.
    const held = holdAfter(h.deps.stores.connections, 'deleteSession', (sessionId) => sessionId === 'race-k');
    const cleanup = h.disconnect(a);
    await held.reached;
    const b = await h.client(query);
    await h.send(b, { action: 'subscribe', controller: 'monitor', topic: 'new', qos: 1 });
    const publisher = await h.client();
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'new', data: 'for-b', qos: 1, id: 'p2' });
    held.release();
    await cleanup;
    held.restore();

    const now = h.clock.now();
    expect((await h.deps.stores.subscriptions.ofSession('race-k', now)).map((s) => [s.topic, s.connectionId])).toEqual([['new', b]]);
    expect(await h.pendingOf('race-k')).toMatchObject([{ connectionId: b, data: 'for-b' }]);
  });
});

describe('the old connection’s cleanup racing the new connection’s resume under flow control', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1 } });
  });
  afterAll(() => h.close());

  it('does not park the entry B’s resume has just held for B (a held and a parked entry have the same dueAt)', async () => {
    const query = { clientId: 'race-h', session: 'persistent', qos: '1', controllers: 'monitor' };
    const a = await h.client(query);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|21');
    await h.send(sensor, 'sensor|temp|22');
    // 21 in flight on A, 22 held behind it (cap 1).
    expect(await h.pendingOf('race-h')).toMatchObject([{ data: 21, connectionId: a }, { data: 22, connectionId: a, held: true }]);

    // A is gone; its late $disconnect has released the session and read its entries. Meanwhile
    // the client is back as B and resumes: 21 is sent to B, 22 held for B.
    h.endpoint.markGone(a);
    const read = holdAfter(h.deps.stores.pending, 'ofSession', (sessionId) => sessionId === 'race-h');
    const cleanup = h.disconnect(a);
    await read.reached;
    const b = await h.client(query);
    await h.send(b, { action: 'resume' });
    read.release();
    await cleanup;
    read.restore();

    expect(h.messages(b).map((m) => m.data)).toEqual([21]);
    expect(await h.pendingOf('race-h')).toMatchObject([
      { data: 21, connectionId: b, parked: false },
      { data: 22, connectionId: b, parked: false, held: true },
    ]);
    // B's ack makes room: the held one goes to B (parked, it would wait for a resume that came already).
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[0]?.id] });
    expect(h.messages(b).map((m) => m.data)).toEqual([21, 22]);
  });
});

describe('a clean session’s leftovers stored after its cleanup', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1 } });
  });
  afterAll(() => h.close());

  it('are cleared by the clientId’s next clean start, so a held one does not count against it', async () => {
    const query = { clientId: 'race-l', session: 'clean', qos: '1' };
    const a = await h.client(query);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    const publisher = await h.client();
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'one', qos: 1, id: 'p1' });

    // Forced order: the next fan-out has read A as the subscriber and found it at its cap (the
    // message is held); before it stores the entry, A's $disconnect removes the clean session;
    // the fan-out's Lambda dies right after the store (before it would look at the held entry again).
    const real = h.deps.stores.pending.putMany.bind(h.deps.stores.pending);
    h.deps.stores.pending.putMany = async (entries) => {
      h.deps.stores.pending.putMany = real;
      await h.disconnect(a);
      await real(entries);
      throw new Error('the Lambda was killed here');
    };
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'two', qos: 1, id: 'p2' }).catch(() => undefined);
    h.deps.stores.pending.putMany = real;
    expect(await h.pendingOf('race-l')).toMatchObject([{ data: 'two', connectionId: a, held: true }]);

    // The clientId starts clean again: nothing of the ended session is left.
    const b = await h.client(query);
    expect(await h.pendingOf('race-l')).toEqual([]);
    await h.send(b, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'three', qos: 1, id: 'p3' });
    expect(h.messages(b).map((m) => m.data)).toEqual(['three']);
  });
});

describe('a clean session’s slow cleanup and the inbound QoS 2 records of its fast reconnect', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('does not delete the QoS 2 publish B received meanwhile: it is handed on at pubrel', async () => {
    const query = { clientId: 'race-i', session: 'clean', qos: '2' };
    const subscriber = await h.client({ qos: '2' });
    await h.send(subscriber, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const a = await h.client(query);
    // Forced order: A's $disconnect has released the session; before it deletes the session's
    // records, the client is back as B and publishes at QoS 2 (stored, pubrec).
    const released = holdAfter(h.deps.stores.connections, 'deleteSession', (sessionId) => sessionId === 'race-i');
    const cleanup = h.disconnect(a);
    await released.reached;
    const b = await h.client(query);
    await h.send(b, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q' });
    expect(h.frames(b)).toContainEqual(expect.objectContaining({ type: 'pubrec', id: 'q' }));
    released.release();
    await cleanup;
    released.restore();

    // The pubrec promised the message is kept: pubrel hands it on.
    await h.send(b, { action: 'pubrel', id: 'q' });
    expect(h.messages(subscriber).map((m) => m.data)).toEqual(['gold']);
    expect(h.frames(b)).toContainEqual(expect.objectContaining({ type: 'msgack', id: 'q', recipients: 1 }));
  });
});

describe('two $connects of one clientId that read the same previous session', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('take it one after the other: the later one closes the earlier, and the session is never split between two open connections', async () => {
    const query = { clientId: 'race-t', session: 'persistent', qos: '1', controllers: 'monitor' };
    const a = await h.client(query);
    // Forced order: X reads the session (A serves it); then Y's whole $connect runs (it reads A
    // too, closes A and takes the session); then X goes on.
    const read = holdAfter(h.deps.stores.connections, 'getSession', (sessionId) => sessionId === 'race-t');
    const x = h.client(query);
    await read.reached;
    const y = await h.client(query);
    read.release();
    const xId = await x;
    read.restore();

    const now = h.clock.now();
    expect((await h.deps.stores.connections.getSession('race-t', now))?.connectionId).toBe(xId);
    // MQTT [MQTT-3.1.4-2]: the connection that lost the session is closed, not left open beside it.
    expect(h.endpoint.deleted()).toEqual(expect.arrayContaining([a, y]));
    expect((await h.deps.stores.connections.sessionControllers('race-t', now)).map((m) => m.connectionId)).toEqual([xId]);
  });

  it('a $connect taken over while it re-points the subscriptions hands them on to the newer connection', async () => {
    const query = { clientId: 'race-r', session: 'persistent', qos: '1' };
    const a = await h.client(query);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    // Forced order: X has taken the session and read its subscriptions (pointing at A); then Y's
    // whole $connect runs (it closes X, takes the session, re-points them at Y); then X goes on
    // and its re-point lands last. X, whose session is Y's now, refuses its handshake (409): it
    // never opens beside Y.
    const read = holdAfter(h.deps.stores.subscriptions, 'ofSession', (sessionId) => sessionId === 'race-r');
    const x = h.open(query);
    await read.reached;
    const y = await h.client(query);
    read.release();
    const { connectionId: xId, statusCode } = await x;
    read.restore();

    const now = h.clock.now();
    expect(statusCode).toBe(409);
    expect(await h.deps.stores.connections.get(xId, now)).toBeUndefined();
    expect((await h.deps.stores.connections.getSession('race-r', now))?.connectionId).toBe(y);
    expect((await h.deps.stores.subscriptions.ofSession('race-r', now)).map((s) => s.connectionId)).toEqual([y]);
    const publisher = await h.client();
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    expect(h.messages(y).map((m) => m.data)).toEqual(['reboot']);
  });
});

describe('a send that meets 410 while the new connection’s $connect still runs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('does not end the session that connection is taking over (API Gateway answers 410 until $connect returns)', async () => {
    const query = { clientId: 'race-g', session: 'persistent', qos: '1', controllers: 'monitor' };
    const a = await h.client(query);
    await h.disconnect(a);

    // B's takeover has pointed the session's memberships at B; its $connect has not returned.
    let b = '';
    const held = holdAfter(h.deps.stores.connections, 'openSessionControllers', (member) => {
      if (member.sessionId !== 'race-g') return false;
      b = member.connectionId;
      return true;
    });
    const connecting = h.client(query);
    await held.reached;
    // Both the post and the gone send's GetConnection meet $connect still running: 410.
    h.endpoint.failNext(b, 410, 2);
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, 'sensor|temp|23');
    held.release();
    expect(await connecting).toBe(b);
    held.restore();

    const now = h.clock.now();
    expect((await h.deps.stores.connections.getSession('race-g', now))?.connectionId).toBe(b);
    expect((await h.deps.stores.connections.sessionControllers('race-g', now)).map((m) => m.connectionId)).toEqual([b]);
    // The next temp is sent to B at once, and resume brings the one that met the 410 (and,
    // as resume does, the unacknowledged 24 again).
    await h.send(sensor, 'sensor|temp|24');
    expect(h.messages(b).map((m) => m.data)).toEqual([24]);
    await h.send(b, { action: 'resume' });
    const sent = h.messages(b).map((m) => [m.data, m.dup]);
    expect(sent[0]).toEqual([24, false]);
    // resume posts its entries concurrently: their order is the order DynamoDB answered in.
    expect(sent.slice(1)).toHaveLength(2);
    expect(sent.slice(1)).toEqual(expect.arrayContaining([[23, true], [24, true]]));
  });
});
