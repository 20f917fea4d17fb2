import { afterEach, describe, expect, it } from 'vitest';
import type { PendingStore } from '../../lambdas/ports/pending-store.js';
import { Harness } from '../support/harness.js';

/** Runs `before` once, ahead of the first `putMany` (the fan-out's store, after its lookup). */
function beforeFirstPut(store: PendingStore, before: () => Promise<void>): void {
  const real = store.putMany.bind(store);
  store.putMany = async (entries) => {
    store.putMany = real;
    await before();
    return real(entries);
  };
}

const persistent = { qos: '1', clientId: 'dev-9', session: 'persistent' } as const;

describe('a fan-out that read a persistent session as away while it came back and resumed', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('sends the entry it stored parked to the connection that serves the session now', async () => {
    h = await Harness.start();
    const publisher = await h.client();
    const a = await h.client(persistent);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    h.endpoint.markGone(a);
    await h.disconnect(a);

    // Forced order: the fan-out has read the session as away; before it stores the (parked)
    // entry, the client is back as B and its resume has read the session's entries (none yet).
    let b = '';
    beforeFirstPut(h.deps.stores.pending, async () => {
      b = await h.client(persistent);
      await h.send(b, { action: 'resume' });
    });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });

    // Not parked for the resume that has come already: sent to B, in flight there.
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'reboot', qos: 1, dup: false })]);
    expect(await h.pendingOf('dev-9')).toMatchObject([{ connectionId: b, parked: false }]);
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[0]?.id] });
    expect(await h.pendingOf('dev-9')).toEqual([]);
  });

  it('leaves the entry parked while the session stays away', async () => {
    h = await Harness.start();
    const publisher = await h.client();
    const a = await h.client(persistent);
    await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.disconnect(a);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'reboot', qos: 1, id: 'p1' });
    expect(await h.pendingOf('dev-9')).toMatchObject([{ parked: true }]);
  });
});
