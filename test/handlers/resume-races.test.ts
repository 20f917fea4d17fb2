import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';
import { holdAfter } from '../support/store-hooks.js';

describe('resume racing the answers to a QoS 2 message already in flight on its connection', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('does not post the message again: a post landing after the pubrec would be a new message to the client', async () => {
    h = await Harness.start();
    const query = { qos: '2', clientId: 'dev-r', session: 'persistent' } as const;
    const publisher = await h.client({ qos: '2' });
    const b = await h.client(query);
    await h.send(b, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    // The hand-on posts the message to B: in flight there.
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'p1' });
    await h.send(publisher, { action: 'pubrel', id: 'p1' });
    const [first] = h.messages(b);
    expect(first).toMatchObject({ data: 'gold', qos: 2, dup: false });

    // Forced order: B's resume (sent as B connected) claims the entry; meanwhile the client
    // answers the first post (pubrec), gets pubrel and completes (msgack); then resume goes on.
    const claimed = holdAfter(h.deps.stores.pending, 'replaceIf', (entry) => entry.sessionId === 'dev-r' && entry.state === 'sent');
    const resumed = h.send(b, { action: 'resume' });
    const answer = async () => {
      await h.send(b, { action: 'pubrec', id: first?.id });
      await h.send(b, { action: 'msgack', ids: [first?.id] });
    };
    if ((await Promise.race([claimed.reached.then(() => 'claimed'), resumed.then(() => 'done')])) === 'claimed') {
      await answer();
      claimed.release();
      await resumed;
    } else {
      await answer();
    }
    claimed.restore();

    // The client completed the id: one more copy of the message would reach its application again.
    expect(h.messages(b)).toEqual([first]);
    expect(h.frames(b).filter((f) => f.type === 'pubrel')).toHaveLength(1);
    expect(await h.pendingOf('dev-r')).toEqual([]);
  });

  it('still sends a QoS 1 message in flight on the connection again, dup (a repeat is only a dup)', async () => {
    h = await Harness.start();
    const query = { qos: '1', clientId: 'dev-s', session: 'persistent' } as const;
    const publisher = await h.client();
    const b = await h.client(query);
    await h.send(b, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    await h.send(b, { action: 'resume' });
    expect(h.messages(b).map((m) => [m.data, m.dup])).toEqual([
      ['reboot', false],
      ['reboot', true],
    ]);
  });

  it('takes an entry the old connection\'s late cleanup parked after resume read it, and sends it', async () => {
    h = await Harness.start();
    const query = { qos: '1', clientId: 'dev-q', session: 'persistent' } as const;
    const publisher = await h.client();
    const a = await h.client(query);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    const [sent] = h.messages(a);
    h.endpoint.markGone(a);

    // Forced order: A's late $disconnect releases the session (it is still A's); the client is
    // back as B, whose resume reads the entry (in flight on A); then A's cleanup parks it; then
    // resume's claim on the dueAt it read fails.
    const released = holdAfter(h.deps.stores.connections, 'detachSession', (sessionId) => sessionId === 'dev-q');
    const cleanup = h.disconnect(a);
    await released.reached;
    const b = await h.client(query);
    const read = holdAfter(h.deps.stores.pending, 'ofSession', (sessionId) => sessionId === 'dev-q');
    const resumed = h.send(b, { action: 'resume' });
    await read.reached;
    released.release();
    await cleanup;
    expect(await h.pendingOf('dev-q')).toMatchObject([{ parked: true }]);
    read.release();
    await resumed;
    released.restore();
    read.restore();

    expect(h.messages(b)).toEqual([expect.objectContaining({ id: sent?.id, data: 'reboot', dup: true })]);
    expect(await h.pendingOf('dev-q')).toMatchObject([{ connectionId: b, parked: false }]);
  });
});
