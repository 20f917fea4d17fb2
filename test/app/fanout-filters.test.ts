import { afterEach, describe, expect, it } from 'vitest';
import { SMALL_PAGES } from '../support/fanout-audience.js';
import { Harness } from '../support/harness.js';

/**
 * Wildcard fan-out (PROTOCOL §8; app/deliver.ts, app/fanout.ts, app/fanout-page.ts) on the real
 * handlers and DynamoDB Local: a session whose exact subscription and filters all match gets ONE
 * copy at its best subscription's QoS, inline and when the partitions go by page jobs.
 */
describe('fan-out to topic filters', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const subscribe = (id: string, topic: string, qos: 0 | 1 | 2) => h.send(id, { action: 'subscribe', controller: 'monitor', topic, qos });

  it('inline: one copy per session at the best matching QoS; another session’s filter gets it; a non-matching filter does not', async () => {
    h = await Harness.start({ fanout: SMALL_PAGES });
    const both = await h.client({ qos: '2' });
    await subscribe(both, 'site-1/boiler/temp', 0);
    await subscribe(both, 'site-1/+/temp', 2);
    await subscribe(both, 'site-1/#', 1);
    const other = await h.client({ qos: '1' });
    await subscribe(other, '+/boiler/+', 1);
    const elsewhere = await h.client({ qos: '1' });
    await subscribe(elsewhere, 'site-1/+/humidity', 1);
    await subscribe(elsewhere, 'site-2/#', 1);

    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'site-1/boiler/temp', data: 21.5, qos: 2, id: 'p1' });
    await h.send(publisher, { action: 'pubrel', id: 'p1' });

    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'p1', recipients: 2 });
    expect(h.messages(both)).toMatchObject([{ controller: 'monitor', topic: 'site-1/boiler/temp', data: 21.5, qos: 2 }]);
    expect(h.messages(other)).toMatchObject([{ topic: 'site-1/boiler/temp', data: 21.5, qos: 1 }]);
    expect(h.messages(elsewhere)).toEqual([]);
    expect(h.pageQueue.jobs).toEqual([]);
  });

  it('paged: partitions read by page jobs still reach each session once, at its best QoS', async () => {
    h = await Harness.start({ fanout: SMALL_PAGES });
    // 12 sessions on both filters (QoS 1 on one, 2 on the other), 6 on the exact topic and a filter, 5 exact only.
    const onFilters: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const id = await h.client({ qos: '2' });
      await subscribe(id, 'site-1/+/temp', i % 2 === 0 ? 2 : 1);
      await subscribe(id, 'site-1/#', i % 2 === 0 ? 1 : 2);
      onFilters.push(id);
    }
    const exactAndFilter: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const id = await h.client({ qos: '2' });
      await subscribe(id, 'site-1/boiler/temp', 1);
      await subscribe(id, '#', 2);
      exactAndFilter.push(id);
    }
    const exactOnly: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const id = await h.client({ qos: '2' });
      await subscribe(id, 'site-1/boiler/temp', 1);
      exactOnly.push(id);
    }

    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'site-1/boiler/temp', data: 'x', qos: 2, id: 'p2' });
    await h.send(publisher, { action: 'pubrel', id: 'p2' });
    expect(h.pageQueue.jobs[0]).toMatchObject({ delivery: { filters: ['#', 'site-1/#', 'site-1/+/temp'] } });
    h.clock.advance(1000);
    await h.runQueuedPages();

    for (const id of [...onFilters, ...exactAndFilter]) expect(h.messages(id)).toMatchObject([{ topic: 'site-1/boiler/temp', data: 'x', qos: 2 }]);
    for (const id of exactOnly) expect(h.messages(id)).toMatchObject([{ topic: 'site-1/boiler/temp', data: 'x', qos: 1 }]);
  });

  it('an unsubscribed filter no longer matches; the session’s other filter still does', async () => {
    h = await Harness.start({ fanout: SMALL_PAGES });
    const sub = await h.client({ qos: '1' });
    await subscribe(sub, 'site-1/#', 1);
    await subscribe(sub, '+/a', 0);
    await h.send(sub, { action: 'unsubscribe', controller: 'monitor', topic: 'site-1/#' });
    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'site-1/a', data: 1, qos: 1, id: 'p3' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'p3', recipients: 1 });
    expect(h.messages(sub)).toMatchObject([{ topic: 'site-1/a', qos: 0 }]);
  });
});
