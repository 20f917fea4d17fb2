import { afterEach, describe, expect, it } from 'vitest';
import { SMALL_PAGES, subscribedClients } from '../support/fanout-audience.js';
import { Harness } from '../support/harness.js';

/**
 * Fan-out beyond one page (app/deliver.ts, app/fanout-page.ts; docs/protocol.md §4): the first
 * page inline, the rest by page jobs, each recipient reached once, every entry with the
 * publish's own times. Sizes are small so a 30-recipient audience takes several pages, in spans.
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

  it('reads a span of pages and queues its other pages as bounded jobs beside the next span; they run at once, in any order, and reach everybody once', async () => {
    h = await Harness.start({ fanout: { ...FANOUT, jobPageSize: 4, spanPages: 3 } });
    // 29: the inline 10, then pages of 4: a span of three (4, 4, 4), then a span of two (4, 3).
    const audience = await subscribedClients(h, 29, 1);
    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'hi', qos: 1, id: 'p' });
    const [span] = h.pageQueue.take();
    expect(span).toMatchObject({ spanPages: 3, pageSize: 4 });
    expect(span).not.toHaveProperty('end');

    expect(await h.runPage(span!)).toEqual({ batchItemFailures: [] });
    const queued = h.pageQueue.take();
    expect(queued.map((job) => (job.end === undefined ? `span of ${job.spanPages}` : 'bounded'))).toEqual(['bounded', 'bounded', 'span of 3']);
    // Each bounded page starts where the one before it ends; the next span where the last ends.
    expect(queued[1]?.startKey).toBe((queued[0]?.end as { endKey: string }).endKey);
    expect(queued[2]?.startKey).toBe((queued[1]?.end as { endKey: string }).endKey);
    expect(audience.filter((s) => h.messages(s).length === 1)).toHaveLength(14);

    // Three workers at once, the next span first.
    const results = await Promise.all([...queued].reverse().map((job) => h.runPage(job)));
    expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    // The last span reached the audience's end: it queued its second page, bounded by that end, and no span.
    const tail = h.pageQueue.take();
    expect(tail).toMatchObject([{ end: { last: true } }]);
    await h.runPage(tail[0]!);
    expect(h.pageQueue.jobs).toEqual([]);
    for (const s of audience) expect(h.messages(s)).toMatchObject([{ data: 'hi', dup: false }]);
  });

  it('runs a job queued before spans (neither spanPages nor end) as a chain of single pages, as it ran then', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const audience = await subscribedClients(h, 30, 1);
    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 1, qos: 1, id: 'p' });
    const [queued] = h.pageQueue.take();
    const { spanPages: _span, ...old } = queued!;
    await h.runPage(old);
    const next = h.pageQueue.jobs;
    expect(next).toHaveLength(1);
    expect(next[0]).not.toHaveProperty('spanPages');
    expect(next[0]).not.toHaveProperty('end');
    expect(await h.runQueuedPages()).toBe(2);
    for (const s of audience) expect(h.messages(s)).toHaveLength(1);
  });
});
