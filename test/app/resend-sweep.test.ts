import { afterEach, describe, expect, it } from 'vitest';
import { BATCH_MARGIN_MS, sweepDue, timeForAnotherPass } from '../../lambdas/app/resend-sweep.js';
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

  it('counts its passes and their time by the deps\' clock, and names the longest (what must fit in BATCH_MARGIN_MS)', async () => {
    h = await Harness.start();
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    for (const reading of [1, 2, 3]) await h.send(sensor, `sensor|temp|${reading}`);
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    const now = h.clock.now();
    // Each pass reads the clock at its start and end; the second pass is made to take longest.
    const pauses = [40, 90, 15];
    let read = 0;
    const clock = { now: () => now + pauses.slice(0, Math.floor(++read / 2)).reduce((a, b) => a + b, 0) };

    const asked: number[] = [];
    const stats = await sweepDue({ ...h.deps, clock }, { batchSize: 1 }, now, (longest) => {
      asked.push(longest);
      return true;
    });

    expect(h.messages(monitor).filter((m) => m.dup).map((m) => m.data)).toEqual([1, 2, 3]);
    // Three full passes of one entry, then one that finds nothing due.
    expect(stats).toMatchObject({ resent: 3, batches: 4 });
    expect(stats.longestBatchMs).toBe(90);
    expect(stats.batchMs).toBe(40 + 90 + 15);
    // Before each further pass it is asked whether there is time, with the longest pass so far.
    expect(asked).toEqual([40, 90, 90]);
  });
});

describe('the time a sweep keeps in hand for another pass', () => {
  it('takes a further pass only with twice its longest pass so far in hand, and never with under BATCH_MARGIN_MS', () => {
    expect(timeForAnotherPass(BATCH_MARGIN_MS, 0)).toBe(true);
    expect(timeForAnotherPass(BATCH_MARGIN_MS - 1, 100)).toBe(false);
    // A pass of 20 s (100 resends at 256 MB, as the bench's sizing pass estimates them): 40 s in hand.
    expect(timeForAnotherPass(39_999, 20_000)).toBe(false);
    expect(timeForAnotherPass(40_000, 20_000)).toBe(true);
  });
});
