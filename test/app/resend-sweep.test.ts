import { afterEach, describe, expect, it } from 'vitest';
import { sweepDue } from '../../lambdas/app/resend-sweep.js';
import { Harness } from '../support/harness.js';

describe('the resend sweep behind expired entries the resend index still lists', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('gets past a full batch of them to the live entries, and deletes them on the way', async () => {
    h = await Harness.start();
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|21');
    const [live] = await h.pendingOf(monitor);
    if (live === undefined) throw new Error('no entry for the monitor');
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    const now = h.clock.now();
    // Older than the live one and past their expiry: AWS's TTL deletes such items up to 48 h late.
    const expired = Array.from({ length: 5 }, (_, i) => ({ ...live, id: `old-${i}`, dueAt: live.dueAt - 1000 + i, expiresAt: now - 1 }));
    await h.deps.stores.pending.putMany(expired);

    const stats = await sweepDue(h.deps, { batchSize: 2 }, now);

    expect(h.messages(monitor).map((m) => [m.data, m.dup])).toEqual([
      [21, false],
      [21, true],
    ]);
    expect(stats).toMatchObject({ resent: 1, expired: 5 });
    expect(await h.deps.stores.pending.due(now, 10)).toEqual([]);
  });
});
