import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetterStore } from '../../lambdas/ports/dead-letter-store.js';
import { Harness } from '../support/harness.js';

/** Runs `before` once, ahead of the first letter written (the dead-lettering holds its lease then). */
function beforeFirstLetter(store: DeadLetterStore, before: () => Promise<void>): void {
  const real = store.put.bind(store);
  store.put = async (letter) => {
    store.put = real;
    await before();
    return real(letter);
  };
}

describe('dead-lettering racing resume (issue 12)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('resume cannot win against the dead-letter lease: the message is a dead letter only, sent no more', async () => {
    h = await Harness.start({ policy: { attemptLimit: 1 } });
    const sensor = await h.client();
    const device = await h.client({ qos: '1', controllers: 'monitor', clientId: 'dev-9', session: 'persistent' });
    await h.send(sensor, 'sensor|temp|30');
    expect(h.messages(device)).toHaveLength(1);
    h.clock.advance(h.deps.policy.ackTimeoutMs);

    // Forced order: the sweep leases the entry for dead-lettering; before it writes the letter,
    // the client sends resume, which reads the leased entry and tries to put it back in flight.
    beforeFirstLetter(h.deps.stores.deadLetters, async () => {
      await h.send(device, { action: 'resume' });
    });
    const stats = await h.sweep();

    expect(stats.deadLettered).toBe(1);
    expect(h.messages(device)).toHaveLength(1);
    expect(await h.pendingOf('dev-9')).toEqual([]);
    expect(await h.deps.stores.deadLetters.ofSession('dev-9', h.clock.now())).toMatchObject([{ reason: 'attempts', entry: { data: 30 } }]);
  });

  it('a dead-lettering that died after its lease is finished by the sweep with one letter', async () => {
    h = await Harness.start({ policy: { attemptLimit: 1 } });
    const sensor = await h.client();
    const device = await h.client({ qos: '1', controllers: 'monitor', clientId: 'dev-9', session: 'persistent' });
    await h.send(sensor, 'sensor|temp|31');
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    // The first try dies after writing its letter, before deleting the entry.
    const pending = h.deps.stores.pending;
    const deleteIf = pending.deleteIf.bind(pending);
    pending.deleteIf = async () => {
      throw new Error('killed');
    };
    await expect(h.sweep()).rejects.toThrow('killed');
    pending.deleteIf = deleteIf;
    // Resume during the lease leaves it alone; after the lease the sweep finishes the job.
    await h.send(device, { action: 'resume' });
    expect(h.messages(device)).toHaveLength(1);
    h.clock.advance(h.deps.policy.releaseLeaseMs);
    await h.sweep();
    expect(await h.pendingOf('dev-9')).toEqual([]);
    expect(await h.deps.stores.deadLetters.ofSession('dev-9', h.clock.now())).toHaveLength(1);
  });
});
