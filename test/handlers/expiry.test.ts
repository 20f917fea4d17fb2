import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import { MemoryMetrics } from '../../lambdas/ports/metrics.js';
import { Harness } from '../support/harness.js';

/**
 * Per-message expiry (issue 15, PROTOCOL §4) on the real handlers and DynamoDB Local, with the
 * manual clock: at each point a message can be sent or resent, an expired one is not, and its
 * pending copy is dropped and counted (`Expired`), never dead-lettered.
 */
const GRACE = DEFAULT_POLICY.expiryGraceMs;
/** A QoS 1 publish to monitor/<topic>: every test has a topic of its own, so one's subscribers never get another's. */
const alert = (topic: string, id: string, extra: object = {}) => ({ action: 'publish', controller: 'monitor', topic, data: id, qos: 1, id, ...extra });

describe('per-message expiry', () => {
  let h: Harness;
  let metrics: MemoryMetrics;
  let publisher: string;
  beforeAll(async () => {
    metrics = new MemoryMetrics();
    h = await Harness.start({ metrics });
    publisher = await h.client({ qos: '2', clientId: 'exp-pub' });
  });
  afterAll(() => h.close());

  const expired = (qos: 1 | 2) => metrics.total('Expired', qos);

  async function awaySubscriber(clientId: string, topic: string): Promise<void> {
    const device = await h.client({ qos: '1', clientId, session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic, qos: 1 });
    await h.disconnect(device);
  }

  it('a delivered message carries its remaining seconds, first send and resend; past its end the sweep drops it, not dead-letters it', async () => {
    const monitor = await h.client({ qos: '1' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 't1', qos: 1 });
    await h.send(publisher, alert('t1', 'a1', { expiry: 30 }));
    expect(h.messages(monitor)).toEqual([expect.objectContaining({ data: 'a1', dup: false, expiry: 30 })]);

    h.clock.advance(10_000);
    expect(await h.sweep()).toMatchObject({ resent: 1, dropped: 0 });
    expect(h.messages(monitor).at(-1)).toMatchObject({ data: 'a1', dup: true, expiry: 20 });

    const before = expired(1);
    h.clock.advance(20_000);
    expect(await h.sweep()).toMatchObject({ resent: 0, dropped: 1, deadLettered: 0 });
    expect(h.messages(monitor)).toHaveLength(2);
    expect(await h.pendingOf(monitor)).toEqual([]);
    expect(await h.deps.stores.deadLetters.ofSession(monitor, h.clock.now())).toEqual([]);
    expect(expired(1)).toBe(before + 1);
  });

  it('a persistent session that is away gets, on resume past the expiry, only the message without one', async () => {
    await awaySubscriber('exp-away', 't2');
    await h.send(publisher, alert('t2', 'stale', { expiry: 5 }));
    await h.send(publisher, alert('t2', 'fresh'));
    const end = h.clock.now() + 5000;
    const parked = await h.pendingOf('exp-away');
    // Storage forgets the copy no later than needed: its message's end plus the grace.
    expect(parked.find((e) => e.data === 'stale')).toMatchObject({ parked: true, messageExpiresAt: end, dueAt: end, expiresAt: end + GRACE });
    expect(parked.find((e) => e.data === 'fresh')).not.toHaveProperty('messageExpiresAt');

    const before = expired(1);
    h.clock.advance(6000);
    const back = await h.client({ qos: '1', clientId: 'exp-away', session: 'persistent' });
    await h.send(back, { action: 'resume' });
    expect(h.messages(back).map((m) => m.data)).toEqual(['fresh']);
    expect(h.messages(back)[0]).not.toHaveProperty('expiry');
    expect((await h.pendingOf('exp-away')).map((e) => e.data)).toEqual(['fresh']);
    expect(expired(1)).toBe(before + 1);
    expect(await h.deps.stores.deadLetters.ofSession('exp-away', h.clock.now())).toEqual([]);
  });

  it('a parked copy is due at its message’s end: the sweep drops it then, with nobody resuming', async () => {
    await awaySubscriber('exp-parked', 't3');
    await h.send(publisher, alert('t3', 'p1', { expiry: 3 }));
    h.clock.advance(2999);
    expect((await h.sweep()).dropped).toBe(0);
    h.clock.advance(1);
    expect((await h.sweep()).dropped).toBe(1);
    expect(await h.pendingOf('exp-parked')).toEqual([]);
  });

  it('the body in the messages table carries the message’s end, and storage keeps it no longer than needed', async () => {
    await awaySubscriber('exp-body', 't4');
    await h.send(publisher, alert('t4', 'body-1', { expiry: 60 }));
    const end = h.clock.now() + 60_000;
    const { Items = [] } = await h.doc.send(new ScanCommand({ TableName: h.tableNames.messages }));
    const body = Items.find((item) => item.data === JSON.stringify('body-1'));
    expect(body).toMatchObject({ messageExpiresAt: end, expiresAtMs: end + GRACE, expiresAt: Math.ceil((end + GRACE) / 1000) });
  });

  it('a QoS 2 publish stored at publish and released after its expiry is handed to nobody; the client still gets its msgack', async () => {
    const monitor = await h.client({ qos: '2' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 't5', qos: 2 });
    await h.send(publisher, { ...alert('t5', 'q2-late', { expiry: 5 }), qos: 2 });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'pubrec', id: 'q2-late' });

    const before = expired(2);
    h.clock.advance(5000);
    await h.send(publisher, { action: 'pubrel', id: 'q2-late' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q2-late', recipients: 0 });
    expect(h.messages(monitor)).toEqual([]);
    expect(await h.pendingOf(monitor)).toEqual([]);
    expect(expired(2)).toBe(before + 1);
    // A repeated pubrel is answered as ever.
    await h.send(publisher, { action: 'pubrel', id: 'q2-late' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q2-late' });
  });

  it('a QoS 2 message past pubrec is not sent again anyway; its pubrel still finishes after the expiry', async () => {
    const monitor = await h.client({ qos: '2' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 't6', qos: 2 });
    await h.send(publisher, { ...alert('t6', 'q2-rec', { expiry: 15 }), qos: 2 });
    await h.send(publisher, { action: 'pubrel', id: 'q2-rec' });
    const [message] = h.messages(monitor);
    expect(message).toMatchObject({ data: 'q2-rec', qos: 2, expiry: 15 });
    await h.send(monitor, { action: 'pubrec', id: message?.id as string });
    expect(h.frames(monitor).at(-1)).toMatchObject({ type: 'pubrel', id: message?.id });

    h.clock.advance(20_000);
    const pubrels = () => h.frames(monitor).filter((f) => f.type === 'pubrel').length;
    expect(pubrels()).toBe(1);
    expect((await h.sweep()).dropped).toBe(0);
    expect(pubrels()).toBe(2);
    expect(h.frames(monitor).at(-1)).toMatchObject({ type: 'pubrel', id: message?.id });
    expect(h.messages(monitor)).toHaveLength(1);
    await h.send(monitor, { action: 'msgack', id: message?.id as string });
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('a retained value with an expiry goes to new subscribers with the seconds it has left, and to none once expired (its TTL too)', async () => {
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'door', data: 'open', qos: 1, id: 'r1', retain: true, expiry: 5 });
    const end = h.clock.now() + 5000;
    const { Item } = await h.doc.send(new GetCommand({ TableName: h.tableNames.retained, Key: { topicKey: 'monitor|door' } }));
    expect(Item).toMatchObject({ messageExpiresAt: end, expiresAtMs: end });

    h.clock.advance(2000);
    const early = await h.client({ qos: '1' });
    await h.send(early, { action: 'subscribe', controller: 'monitor', topic: 'door', qos: 1 });
    expect(h.messages(early)).toEqual([expect.objectContaining({ data: 'open', retained: true, expiry: 3 })]);

    h.clock.advance(3000);
    const late = await h.client({ qos: '1' });
    await h.send(late, { action: 'subscribe', controller: 'monitor', topic: 'door', qos: 1 });
    expect(h.frames(late)).toEqual([{ type: 'suback', controller: 'monitor', topic: 'door', qos: 1 }]);
  });

  it('an expiry that is 0, negative, fractional, over the message TTL or not a number is BAD_REQUEST naming the rule; nothing pending is lost', async () => {
    await awaySubscriber('exp-bad', 't8');
    await h.send(publisher, alert('t8', 'kept'));
    const before = await h.pendingOf('exp-bad');
    expect(before.map((e) => e.data)).toEqual(['kept']);
    const max = DEFAULT_POLICY.messageTtlMs / 1000;
    const rule = `expiry must be a whole number of seconds from 1 to ${max} (the message TTL)`;
    for (const [i, expiry] of [0, -1, 1.5, max + 1, '10'].entries()) {
      for (const qos of [1, 2]) {
        const id = `bad-${i}-${qos}`;
        await h.send(publisher, { ...alert('t8', id, { expiry }), qos });
        expect(h.frames(publisher).at(-1)).toEqual({ type: 'error', code: 'BAD_REQUEST', message: rule, action: 'publish', id });
      }
    }
    expect(await h.pendingOf('exp-bad')).toEqual(before);
    // Nothing was stored for the QoS 2 refusals either: a pubrel for one hands nothing on.
    await h.send(publisher, { action: 'pubrel', id: 'bad-0-2' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'bad-0-2' });
  });
});

describe('per-message expiry and flow control', () => {
  let h: Harness;
  let metrics: MemoryMetrics;
  beforeAll(async () => {
    metrics = new MemoryMetrics();
    h = await Harness.start({ metrics, policy: { flowControl: 'strict', maxInflight: 1 } });
  });
  afterAll(() => h.close());

  it('a held message that expired while it waited is dropped when room frees, and the next one goes', async () => {
    const publisher = await h.client({ qos: '1' });
    const monitor = await h.client({ qos: '1' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 't9', qos: 1 });
    await h.send(publisher, alert('t9', 'first'));
    h.clock.advance(1);
    await h.send(publisher, alert('t9', 'short', { expiry: 5 }));
    h.clock.advance(1);
    await h.send(publisher, alert('t9', 'long', { expiry: 600 }));
    expect(h.messages(monitor).map((m) => m.data)).toEqual(['first']);
    expect((await h.pendingOf(monitor)).filter((e) => e.held).map((e) => e.data)).toEqual(['short', 'long']);

    h.clock.advance(5000);
    await h.send(monitor, { action: 'msgack', id: h.messages(monitor)[0]?.id as string });
    expect(h.messages(monitor).map((m) => m.data)).toEqual(['first', 'long']);
    expect(h.messages(monitor)[1]).toMatchObject({ dup: false, expiry: 595 });
    expect((await h.pendingOf(monitor)).map((e) => e.data)).toEqual(['long']);
    expect(metrics.total('Expired', 1)).toBe(1);
  });
});
