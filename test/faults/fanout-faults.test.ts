import { afterEach, describe, expect, it } from 'vitest';
import type { PageJob } from '../../lambdas/core/page-job.js';
import { SMALL_PAGES, sortedClientIds, subscribedAs, subscribedClients } from '../support/fanout-audience.js';
import { dyingGateway } from '../support/dying-gateway.js';
import { Harness } from '../support/harness.js';

/**
 * Faults of the fan-out by page jobs (docs/architecture.md "Fan-out beyond one Lambda"): a worker
 * dying mid-page, a page handed out twice by the queue, the queue refusing jobs, and an ack that
 * comes before a retried page writes its reference, a span retried after it recorded its pages.
 * 30 recipients, an inline page of 10, job pages of 7 in spans of 2.
 */
const FANOUT = SMALL_PAGES;

/** Publishes to the audience at `qos` (QoS 2: publish and pubrel) and returns the page job queued for the rest. */
async function publish(h: Harness, qos: 1 | 2): Promise<{ publisher: string; job: PageJob }> {
  const publisher = await h.client({ qos: '2', clientId: 'pub' });
  await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'x', qos, id: 'p' });
  if (qos === 2) await h.send(publisher, { action: 'pubrel', id: 'p' });
  const [job, ...more] = h.pageQueue.take();
  expect(more).toEqual([]);
  if (!job) throw new Error('no page job was queued');
  return { publisher, job };
}

/** Each recipient acks what it got: QoS 1 msgack; QoS 2 pubrec, then msgack for the pubrel. */
async function ackAll(h: Harness, recipients: string[], qos: 1 | 2): Promise<void> {
  for (const r of recipients) {
    const ids = [...new Set(h.messages(r).map((m) => m.id as string))];
    if (ids.length === 0) continue;
    if (qos === 2) for (const id of ids) await h.send(r, { action: 'pubrec', id });
    await h.send(r, { action: 'msgack', ids });
  }
}

describe('fan-out faults', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it.each([1, 2] as const)('a worker dying mid-page (QoS %i): the queue\'s retry after its lease finishes the chain, and nothing is sent twice', async (qos) => {
    h = await Harness.start({ fanout: FANOUT });
    const real = h.deps.gateway;
    const everyone = await subscribedClients(h, 30, qos);
    const { job } = await publish(h, qos);

    // The first worker stores its page, posts 3 of its 7 and is killed; it had queued the rest
    // first: page 3 as a bounded job and the span from page 4.
    const dying = dyingGateway(real, 3, true);
    h.deps.gateway = dying;
    void h.runPage(job).catch(() => {});
    await dying.died;
    h.deps.gateway = real;
    expect(h.pageQueue.jobs).toHaveLength(2);
    await ackAll(h, everyone, qos);

    // SQS hands the job out again after its visibility timeout, past the lease.
    h.clock.advance(FANOUT.leaseMs + 1);
    expect(await h.runPage(job)).toEqual({ batchItemFailures: [] });
    await h.runQueuedPages();
    await ackAll(h, everyone, qos);
    // The four the dead worker stored but never posted are the sweep's, as after any lost post.
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    await h.sweep();
    await ackAll(h, everyone, qos);
    for (const r of everyone) {
      expect(h.messages(r)).toHaveLength(1);
      expect(await h.pendingOf(r)).toEqual([]);
    }
  });

  it('a page handed out twice at once: one worker hands it on, the other is failed back to the queue; nobody gets it twice', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, 2);
    const { job } = await publish(h, 2);
    const [a, b] = await Promise.all([h.runPage(job), h.runPage(job)]);
    expect([a?.batchItemFailures.length, b?.batchItemFailures.length].sort()).toEqual([0, 1]);
    await h.runQueuedPages();
    // The failed-back copy comes round again later: the page is done by then, and skipped.
    h.clock.advance(FANOUT.leaseMs + 1);
    expect(await h.runPage(job)).toEqual({ batchItemFailures: [] });
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });

  it.each([1, 2] as const)('a page handed out twice one after the other (QoS %i): the second finds it done and does nothing', async (qos) => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, qos);
    const { job } = await publish(h, qos);
    await h.runPage(job);
    const queued = h.pageQueue.jobs.length;
    await h.runPage(job);
    expect(h.pageQueue.jobs).toHaveLength(queued); // not even the next page queued again
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });

  it('the queue throttled at publish: no msgack and nothing stored or sent; the publisher\'s resend goes through', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, 1);
    const publisher = await h.client({ qos: '1' });
    h.pageQueue.fail(1);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'x', qos: 1, id: 'p' });
    expect(h.frames(publisher)).toMatchObject([{ type: 'error', code: 'INTERNAL', id: 'p' }]);
    for (const r of everyone) {
      expect(h.messages(r)).toEqual([]);
      expect(await h.pendingOf(r)).toEqual([]);
    }
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'x', qos: 1, id: 'p', dup: true });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'p', recipients: 10 });
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });

  it('the queue throttled at a will: nothing of it handed on, the failure logged, and the connection still cleaned up; an unthrottled will reaches everyone', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, 1);
    const will = { action: 'will', controller: 'monitor', topic: 'news', data: 'gone', qos: 1 };
    const lost = await h.client({ qos: '1' });
    await h.send(lost, will);
    h.pageQueue.fail(1);
    await h.disconnect(lost);
    // No publisher can send a will again: it is lost (docs/protocol.md §9, at most once), and says so.
    expect(h.log.lines.filter((l) => l.message === 'Server publish failed')).toHaveLength(1);
    for (const r of everyone) {
      expect(h.messages(r)).toEqual([]);
      expect(await h.pendingOf(r)).toEqual([]);
    }
    expect(await h.deps.stores.connections.get(lost, h.clock.now())).toBeUndefined();

    const kept = await h.client({ qos: '1' });
    await h.send(kept, will);
    await h.disconnect(kept);
    expect(everyone.filter((r) => h.messages(r).length === 1)).toHaveLength(FANOUT.inlinePageSize);
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toMatchObject([{ topic: 'news', data: 'gone', qos: 1 }]);
  });

  it('the queue throttled at a QoS 2 pubrel: no msgack, the record kept; the pubrel sent again after the lease hands on exactly once', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, 2);
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'x', qos: 2, id: 'q' });
    h.pageQueue.fail(1);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toEqual([]);
    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q', recipients: 10 });
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });

  it('the queue throttled under a worker (the next page refused): the job fails back with nothing of its page stored, and its retry finishes', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, 1);
    const { job } = await publish(h, 1);
    h.pageQueue.fail(1);
    expect(await h.runPage(job)).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-0' }] });
    expect(everyone.filter((r) => h.messages(r).length > 0)).toHaveLength(10);
    h.clock.advance(FANOUT.leaseMs + 1);
    expect(await h.runPage(job)).toEqual({ batchItemFailures: [] });
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });

  it.each([
    [1, 'at most a duplicate'],
    [2, 'never a second delivery'],
  ] as const)('an ack before a retried page writes its reference (QoS %i): %s', async (qos, _promise) => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, qos);
    const { job } = await publish(h, qos);
    // The first worker hands its page on and dies before finishing it (its claim stays open).
    const claims = h.deps.fanout!.claims;
    const finish = claims.finish.bind(claims);
    claims.finish = () => Promise.reject(new Error('killed'));
    expect((await h.runPage(job)).batchItemFailures).toHaveLength(1);
    claims.finish = finish;
    // Its recipients ack at once; then the retried page runs, after the lease.
    await ackAll(h, everyone, qos);
    h.clock.advance(FANOUT.leaseMs + 1);
    await h.runPage(job);
    await h.runQueuedPages();
    await ackAll(h, everyone, qos);
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    await h.sweep();
    for (const r of everyone) {
      const got = h.messages(r);
      if (qos === 2) expect(got).toHaveLength(1);
      else expect(got.length === 1 || got.length === 2).toBe(true);
      expect(new Set(got.map((m) => m.id)).size).toBe(1);
      expect(await h.pendingOf(r)).toEqual([]);
    }
  });

  it('a worker dying before its store, while the audience changes: the retry reads the page the first run read, so nobody between two pages is missed', async () => {
    h = await Harness.start({ fanout: FANOUT });
    // Session ids sort by clientId: the inline page is a00..a09, the first job page a10..a16.
    const everyone = await subscribedAs(h, sortedClientIds(30), 1);
    const { job } = await publish(h, 1);
    // The first worker reads its page, records its end, queues the next page, and dies storing.
    const pending = h.deps.stores.pending;
    const putMany = pending.putMany.bind(pending);
    pending.putMany = () => Promise.reject(new Error('killed'));
    expect((await h.runPage(job)).batchItemFailures).toHaveLength(1);
    pending.putMany = putMany;
    // Three join inside that page's extent before the retry.
    await subscribedAs(h, ['a10x', 'a11x', 'a12x'], 1);
    h.clock.advance(FANOUT.leaseMs + 1);
    expect(await h.runPage(job)).toEqual({ batchItemFailures: [] });
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });

  it('a QoS 2 pubrel re-run whose audience changed starts a second chain; the first chain, run late, sends nobody a second copy', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedAs(h, sortedClientIds(30), 2);
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'news', data: 'gold', qos: 2, id: 'q' });
    // The first pubrel hands its inline page on and queues the rest, then dies before deleting the record.
    const inbound = h.deps.stores.inbound;
    const remove = inbound.delete.bind(inbound);
    inbound.delete = () => Promise.reject(new Error('killed'));
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    inbound.delete = remove;
    const [firstChain] = h.pageQueue.take();
    await ackAll(h, everyone, 2);
    // One joins inside the inline page, so the re-run's inline page ends earlier: its chain starts elsewhere.
    const joiner = (await subscribedAs(h, ['a00x'], 2))[0] as string;
    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.frames(publisher).at(-1)).toMatchObject({ type: 'msgack', id: 'q' });
    expect(h.pageQueue.jobs[0]?.startKey).not.toBe(firstChain?.startKey);
    await h.runQueuedPages();
    await ackAll(h, [...everyone, joiner], 2);
    // The first chain's job comes round only now: its recipients completed the message meanwhile.
    await h.runPage(firstChain!);
    await h.runQueuedPages();
    for (const r of [...everyone, joiner]) expect(h.messages(r)).toHaveLength(1);
  });

  it('a span that fails queueing its pages, retried while the audience changed: the retry queues the pages its first run recorded, so nobody is missed or sent a copy by two pages', async () => {
    h = await Harness.start({ fanout: FANOUT });
    // Session ids sort by clientId: the inline page is a00..a09; the span's pages a10..a16 and a17..a23.
    const everyone = await subscribedAs(h, sortedClientIds(30), 1);
    const { job } = await publish(h, 1);
    // The span records its two pages' ends; the queue refuses the bounded page, takes the next span.
    h.pageQueue.fail(1);
    expect((await h.runPage(job)).batchItemFailures).toHaveLength(1);
    expect(h.pageQueue.jobs).toMatchObject([{ spanPages: 2 }]);
    expect(everyone.filter((r) => h.messages(r).length > 0)).toHaveLength(10);
    // Two join inside the second page: a fresh read would end that page two keys earlier.
    const joiners = await subscribedAs(h, ['a17x', 'a18x'], 1);
    h.clock.advance(FANOUT.leaseMs + 1);
    expect(await h.runPage(job)).toEqual({ batchItemFailures: [] });
    // The next span now sits in the queue twice (the first run's and the retry's): one is skipped.
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
    for (const r of joiners) expect(h.messages(r).length).toBeLessThanOrEqual(1);
  });

  it('a bounded page handed out twice one after the other: the second finds it done, and neither queues a page', async () => {
    h = await Harness.start({ fanout: FANOUT });
    const everyone = await subscribedClients(h, 30, 1);
    const { job } = await publish(h, 1);
    await h.runPage(job);
    const [bounded, span] = h.pageQueue.take();
    expect(bounded?.end).toBeDefined();
    await h.runPage(bounded!);
    await h.runPage(bounded!);
    expect(h.pageQueue.jobs).toEqual([]);
    await h.runPage(span!);
    await h.runQueuedPages();
    for (const r of everyone) expect(h.messages(r)).toHaveLength(1);
  });
});
