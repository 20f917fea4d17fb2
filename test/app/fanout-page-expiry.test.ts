import { afterEach, describe, expect, it } from 'vitest';
import { SMALL_PAGES, subscribedClients } from '../support/fanout-audience.js';
import { Harness } from '../support/harness.js';

/** Per-message expiry (PROTOCOL §4) and fan-out by page jobs (app/fanout-page.ts). */
describe('fan-out page jobs of a message with an expiry', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('carry its end; a worker before the end sends the seconds left at its own time', async () => {
    h = await Harness.start({ fanout: SMALL_PAGES });
    const audience = await subscribedClients(h, 20, 1, 'exp');
    const publisher = await h.client({ qos: '1' });
    const end = h.clock.now() + 30_000;
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'exp', data: 'x', qos: 1, id: 'p-1', expiry: 30 });
    expect(h.pageQueue.jobs[0]).toMatchObject({ delivery: { expiresAt: end } });
    expect(audience.filter((s) => h.messages(s)[0]?.expiry === 30)).toHaveLength(10);

    h.clock.advance(12_500);
    expect(await h.runQueuedPages()).toBe(2);
    const late = audience.filter((s) => h.messages(s)[0]?.expiry === 18);
    expect(late).toHaveLength(10);
    for (const s of late) expect(await h.pendingOf(s)).toMatchObject([{ messageExpiresAt: end }]);
  });

  it('a job run past the end sends and stores nothing and queues no more of the chain', async () => {
    h = await Harness.start({ fanout: SMALL_PAGES });
    const audience = await subscribedClients(h, 20, 1, 'exp');
    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'exp', data: 'x', qos: 1, id: 'p-1', expiry: 3 });
    h.clock.advance(3000);
    expect(await h.runQueuedPages()).toBe(1);
    const reached = audience.filter((s) => h.messages(s).length > 0);
    expect(reached).toHaveLength(10);
    for (const s of audience.filter((a) => !reached.includes(a))) expect(await h.pendingOf(s)).toEqual([]);
  });
});
