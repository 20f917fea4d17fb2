import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMetrics } from '../../lambdas/ports/metrics.js';
import { Harness } from '../support/harness.js';

/**
 * PROTOCOL §2 batched publish at QoS 2, §4 method A: the whole batch is stored as one inbound
 * record at publish (one pubrec), and handed on exactly once at pubrel (one msgack).
 */
describe('a batched publish at QoS 2', () => {
  let h: Harness;
  let metrics: MemoryMetrics;
  let publisher: string;
  let subscriber: string;

  beforeAll(async () => {
    metrics = new MemoryMetrics();
    h = await Harness.start({ metrics });
    publisher = await h.client({ qos: '2', clientId: 'pub-q2' });
    subscriber = await h.client({ qos: '2' });
    await h.send(subscriber, { action: 'subscribe', controller: 'monitor', topic: 'meter/#', qos: 2 });
  });
  afterAll(() => h.close());

  const batch = (id: string, data: number[]) => ({ action: 'publish', qos: 2, id, messages: data.map((d, i) => ({ controller: 'monitor', topic: `meter/${i}`, data: d })) });

  it('stores the whole batch and answers one pubrec, handing nothing on yet', async () => {
    await h.send(publisher, batch('q-1', [1, 2, 3]));
    expect(h.frames(publisher)).toEqual([{ type: 'pubrec', id: 'q-1' }]);
    expect(h.messages(subscriber)).toEqual([]);
    expect(metrics.total('Published', 2)).toBe(3);
  });

  it('a repeated publish gets pubrec again and stores nothing twice (the first data stays)', async () => {
    await h.send(publisher, { ...batch('q-1', [9, 9]), dup: true });
    expect(h.frames(publisher)).toEqual([{ type: 'pubrec', id: 'q-1' }, { type: 'pubrec', id: 'q-1' }]);
    expect(metrics.total('Published', 2)).toBe(3);
  });

  it('at pubrel hands the whole batch on exactly once, each message with its own id, then one msgack with the recipients summed', async () => {
    await h.send(publisher, { action: 'pubrel', id: 'q-1' });
    const got = h.messages(subscriber);
    expect(got.map((m) => [m.topic, m.data, m.qos, m.dup])).toEqual([['meter/0', 1, 2, false], ['meter/1', 2, 2, false], ['meter/2', 3, 2, false]]);
    expect(new Set(got.map((m) => m.id)).size).toBe(3);
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q-1', recipients: 3 });
  });

  it('a repeated pubrel is answered msgack and hands nothing on', async () => {
    await h.send(publisher, { action: 'pubrel', id: 'q-1' });
    expect(h.messages(subscriber)).toHaveLength(3);
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q-1' });
  });

  it('a pubrel retried after a crash (the record not deleted, its lease run out) hands on nothing its recipients have answered', async () => {
    await h.send(publisher, batch('q-2', [4, 5]));
    // The fault: the first pubrel dies after handing on, before it deletes the record.
    const inbound = h.deps.stores.inbound;
    const realDelete = inbound.delete.bind(inbound);
    inbound.delete = async () => {
      throw new Error('the Lambda died here');
    };
    await h.send(publisher, { action: 'pubrel', id: 'q-2' });
    inbound.delete = realDelete;
    expect(h.frames(publisher).at(-1)).toMatchObject({ type: 'error', code: 'INTERNAL', id: 'q-2' });
    const firstRun = h.messages(subscriber).slice(3);
    expect(firstRun.map((m) => m.data)).toEqual([4, 5]);
    for (const m of firstRun) await h.send(subscriber, { action: 'pubrec', id: m.id as string });

    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.send(publisher, { action: 'pubrel', id: 'q-2' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q-2', recipients: 2 });
    // Nothing new reached the subscriber: its answered entries stay released (PROTOCOL §4).
    expect(h.messages(subscriber)).toHaveLength(5);
    expect((await h.pendingOf(subscriber)).filter((e) => e.data === 4 || e.data === 5).map((e) => e.state)).toEqual(['released', 'released']);
  });

  it('a controller method refusing one message at pubrel hands nothing on, and drops the record', async () => {
    const monitor = await h.client({ qos: '1', controllers: 'monitor' });
    await h.send(publisher, { action: 'publish', qos: 2, id: 'q-3', messages: [{ controller: 'sensor', topic: 'temp', data: 21 }, { controller: 'sensor', topic: 'temp', data: null }] });
    await h.send(publisher, { action: 'pubrel', id: 'q-3' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'messages[1]: temp must be a number', action: 'pubrel', id: 'q-3' });
    expect(h.messages(monitor)).toEqual([]);
    await h.send(publisher, { action: 'pubrel', id: 'q-3' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q-3' });
    expect(h.messages(monitor)).toEqual([]);
  });
});
