import { afterEach, describe, expect, it } from 'vitest';
import { SMALL_PAGES, subscribedClients } from '../support/fanout-audience.js';
import { Harness } from '../support/harness.js';

/**
 * Fan-out beyond one page (app/deliver.ts, app/fanout-page.ts; docs/protocol.md §4): the first
 * page inline, the rest by page jobs, each recipient reached once, every entry with the
 * publish's own times. Sizes are small so a 30-recipient audience takes several pages.
 */
const FANOUT = SMALL_PAGES;


describe('fan-out by page jobs', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('acks a QoS 1 publish once the inline page is handed on and the rest queued, then the jobs reach everybody once, with the publish\'s times', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const audience = await subscribedClients(h, 30, 1);
    const publisher = await h.client({ qos: '1' });
    const publishedAt = h.clock.now();
    // The harness's first server id, in the production layout (time, then a counter); recipients see it marked `:1`.
    const messageId = `${publishedAt.toString(36)}${'1'.padStart(8, '0')}`;
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'hello', qos: 1, id: 'p-1' });

    // Acked with the inline page's count (a lower bound: the rest is queued), one job queued.
    expect(h.frames(publisher)).toEqual([{ type: 'msgack', id: 'p-1', recipients: 10 }]);
    expect(h.pageQueue.jobs).toHaveLength(1);
    expect(h.pageQueue.jobs[0]).toMatchObject({ messageId, now: publishedAt, pageSize: 7, delivery: { via: 'publish', controller: 'monitor', topic: 'news', qos: 1 } });
    expect(audience.filter((s) => h.messages(s).length === 1)).toHaveLength(10);

    // The workers run later; each queues the next page before handing its own on.
    h.clock.advance(5000);
    expect(await h.runQueuedPages()).toBe(3); // 7 + 7 + 6
    for (const s of audience) {
      expect(h.messages(s)).toMatchObject([{ data: 'hello', qos: 1, id: `${messageId}:1`, dup: false }]);
      const [entry] = await h.pendingOf(s);
      expect(entry).toMatchObject({ createdAt: publishedAt, dueAt: publishedAt + h.deps.policy.ackTimeoutMs, deadlineAt: publishedAt + h.deps.policy.messageTtlMs });
    }
  });

  it('keeps the direct path for an audience that fits the inline page: no job, no queue hop', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const audience = await subscribedClients(h, 9, 1);
    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 1, qos: 1, id: 'p' });
    expect(h.frames(publisher)).toEqual([{ type: 'msgack', id: 'p', recipients: 9 }]);
    expect(h.pageQueue.jobs).toEqual([]);
    for (const s of audience) expect(h.messages(s)).toHaveLength(1);
  });

  it('pages a controller\'s members (invoke) the same way', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const monitors = await Promise.all(Array.from({ length: 16 }, () => h.client({ controllers: 'monitor', qos: '1' })));
    const sensor = await h.client({ qos: '1' });
    await h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: 21, qos: 1, id: 't' });
    expect(h.frames(sensor)).toEqual([{ type: 'msgack', id: 't', recipients: 10 }]);
    expect(await h.runQueuedPages()).toBe(1);
    for (const m of monitors) expect(h.messages(m)).toMatchObject([{ topic: 'temp', data: 21 }]);
  });

  it('hands a QoS 2 release on by pages exactly once, the pubrel\'s msgack after the rest is queued', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const audience = await subscribedClients(h, 30, 2);
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'gold', qos: 2, id: 'q' });
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.frames(publisher)).toEqual([{ type: 'pubrec', id: 'q' }, { type: 'msgack', id: 'q', recipients: 10 }]);
    await h.runQueuedPages();
    for (const s of audience) expect(h.messages(s)).toMatchObject([{ data: 'gold', qos: 2, dup: false }]);
  });
});
