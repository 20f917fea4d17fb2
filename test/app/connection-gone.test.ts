import { afterEach, describe, expect, it } from 'vitest';
import type { PendingStore } from '../../lambdas/ports/pending-store.js';
import { Harness } from '../support/harness.js';
import { holdAfter } from '../support/store-hooks.js';

/** Runs `before` once, ahead of the first `putMany` (the fan-out's store, after its lookup). */
function beforeFirstPut(store: PendingStore, before: () => Promise<void>): void {
  const real = store.putMany.bind(store);
  store.putMany = async (entries) => {
    store.putMany = real;
    await before();
    return real(entries);
  };
}

/** Runs `after` once, after the first call of `ofSession` has read and before its caller goes on. */
function afterFirstRead(store: PendingStore, after: () => Promise<void>): void {
  const real = store.ofSession.bind(store);
  store.ofSession = async (sessionId, now) => {
    store.ofSession = real;
    const read = await real(sessionId, now);
    await after();
    return read;
  };
}

const persistent = { qos: '1', clientId: 'dev-7', session: 'persistent' } as const;

describe('a send that finds its connection gone while a newer one serves the session (issue 12 B)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('a resend sweep racing resume hands the entry to the resumed connection instead of parking it', async () => {
    h = await Harness.start();
    const publisher = await h.client();
    const a = await h.client(persistent);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    const [sent] = h.messages(a);
    expect(sent).toMatchObject({ data: 'reboot', dup: false });

    // A's socket drops without an ack ($disconnect late); the client is back as B, the message due.
    h.endpoint.markGone(a);
    const b = await h.client(persistent);
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    // Forced order: B's resume reads the session; a sweep claims the entry, posts to A, meets 410;
    // then resume's conditional write fails on the changed dueAt and it skips the entry.
    afterFirstRead(h.deps.stores.pending, async () => {
      const swept = await h.sweep();
      expect(swept.gone).toBe(1);
    });
    await h.send(b, { action: 'resume' });

    expect(h.messages(b)).toEqual([expect.objectContaining({ id: sent?.id, data: 'reboot', dup: true })]);
    expect(await h.pendingOf('dev-7')).toMatchObject([{ id: sent?.id, connectionId: b, parked: false }]);
    // Still in flight on B: unanswered, the sweep sends it again there, not in 24 h.
    h.clock.advance(h.deps.policy.backoffCapMs);
    await h.sweep();
    expect(h.messages(b).map((m) => m.id)).toEqual([sent?.id, sent?.id]);
    await h.send(b, { action: 'msgack', ids: [sent?.id] });
    expect(await h.pendingOf('dev-7')).toEqual([]);
  });

  it('a fan-out that looked up A before the takeover hands the new entry to B instead of parking it', async () => {
    h = await Harness.start();
    const publisher = await h.client();
    const a = await h.client(persistent);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });

    // Forced order: the fan-out has read A as the subscriber; before it stores the entry, the
    // client takes its session over as B and resumes (nothing pending yet).
    let b = '';
    beforeFirstPut(h.deps.stores.pending, async () => {
      b = await h.client(persistent);
      await h.send(b, { action: 'resume' });
    });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });

    expect(h.messages(a)).toEqual([]);
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'reboot', qos: 1, dup: false })]);
    expect(await h.pendingOf('dev-7')).toMatchObject([{ connectionId: b, parked: false }]);
  });

  it('with no newer connection the entry is parked for resume, as before', async () => {
    h = await Harness.start();
    const publisher = await h.client();
    const a = await h.client(persistent);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    h.endpoint.markGone(a);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    expect(await h.pendingOf('dev-7')).toMatchObject([{ parked: true }]);
    expect((await h.pendingOf('dev-7'))[0]?.connectionId).toBeUndefined();
  });
});

describe('a send that finds a clean session\'s connection gone after a clean takeover', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('deletes the entry the fan-out stored for the old connection instead of sending it there until it is dead-lettered', async () => {
    h = await Harness.start();
    const clean = { qos: '1', clientId: 'dev-8', session: 'clean' } as const;
    const publisher = await h.client();
    const a = await h.client(clean);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });

    // Forced order: the fan-out has read A as the subscriber; before it stores the entry, the
    // client starts a clean session again as B, which deletes the session's entries (none yet).
    let b = '';
    beforeFirstPut(h.deps.stores.pending, async () => {
      b = await h.client(clean);
    });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });

    expect(h.endpoint.isGone(a)).toBe(true);
    expect(h.messages(a)).toEqual([]);
    // The message was for A's session, which ended: B's clean session owes nothing of it.
    expect(h.messages(b)).toEqual([]);
    expect(await h.pendingOf('dev-8')).toEqual([]);
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    expect(await h.sweep()).toMatchObject({ due: 0, gone: 0 });
  });
});

describe('a send that meets the 410 API Gateway answers while the connection\'s $connect runs', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('ends nothing of the session it took over and sends the message to it again', async () => {
    h = await Harness.start();
    const publisher = await h.client();
    const a = await h.client(persistent);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    h.endpoint.markGone(a);

    // Forced order: B's $connect has re-pointed the session and written its record, but has not
    // returned; a fan-out reaches B and API Gateway answers its post 410. $connect then returns,
    // and only then does the gone send look further (GetConnection answers 200 now).
    const connecting = holdAfter(h.deps.stores.connections, 'putIfServing', (record) => record.sessionId === 'dev-7' && record.connectionId !== a);
    const bConnect = h.client(persistent);
    await connecting.reached;
    const b = `conn-${Number(/^conn-(\d+)=$/.exec(a)?.[1]) + 1}=`;
    expect(await h.deps.stores.connections.get(b, h.clock.now())).toMatchObject({ sessionId: 'dev-7' });
    h.endpoint.failNext(b, 410);
    const realIsOpen = h.deps.gateway.isOpen.bind(h.deps.gateway);
    h.deps.gateway.isOpen = async (connectionId) => {
      connecting.release();
      await bConnect;
      return realIsOpen(connectionId);
    };
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    connecting.release(); // (released already if the gone send asked the gateway)
    expect(await bConnect).toBe(b);
    connecting.restore();

    const now = h.clock.now();
    expect((await h.deps.stores.connections.getSession('dev-7', now))?.connectionId).toBe(b);
    expect(await h.deps.stores.connections.get(b, now)).toMatchObject({ connectionId: b, sessionId: 'dev-7' });
    expect((await h.deps.stores.subscriptions.ofSession('dev-7', now)).map((s) => s.connectionId)).toEqual([b]);
    // Sent again at once (the first post never arrived: not a dup), and in flight on B.
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'reboot', qos: 1, dup: false })]);
    expect(await h.pendingOf('dev-7')).toMatchObject([{ connectionId: b, parked: false }]);
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[0]?.id] });
    expect(await h.pendingOf('dev-7')).toEqual([]);
  });
});

describe('a send that meets 410 before the new connection has even written its record', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('parks the entry, and hands it back to the connection once its record is there (its resume may have read before the park)', async () => {
    h = await Harness.start();
    const query = { qos: '1', clientId: 'dev-u', session: 'persistent' } as const;
    const publisher = await h.client();
    const a = await h.client(query);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    h.endpoint.markGone(a);

    // Forced order: B's $connect has re-pointed the subscription, not yet written its record.
    // A fan-out posts to B: 410, and GetConnection says 410 too. Then $connect returns, and B's
    // resume reads the session's entries (this one still in flight on B) before the gone send
    // parks it, and tries to claim it only after.
    const b = `conn-${Number(/^conn-(\d+)=$/.exec(a)?.[1]) + 1}=`;
    const connecting = holdAfter(h.deps.stores.connections, 'openSessionControllers', (member) => member.connectionId === b);
    const bConnect = h.client(query);
    await connecting.reached;
    h.endpoint.failNext(b, 410, 2);
    const resumeRead = holdAfter(h.deps.stores.pending, 'ofSession', (sessionId) => sessionId === 'dev-u');
    let resumed: Promise<unknown> = Promise.resolve();
    const realIsOpen = h.deps.gateway.isOpen.bind(h.deps.gateway);
    h.deps.gateway.isOpen = async (connectionId) => {
      const open = await realIsOpen(connectionId);
      connecting.release();
      await bConnect;
      resumed = h.send(b, { action: 'resume' });
      await resumeRead.reached;
      return open;
    };
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    resumeRead.release();
    await resumed;
    connecting.restore();
    resumeRead.restore();

    // Not parked for a connected session that has resumed already: sent to B, in flight there.
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'reboot', qos: 1 })]);
    expect(await h.pendingOf('dev-u')).toMatchObject([{ connectionId: b, parked: false }]);
  });
});
