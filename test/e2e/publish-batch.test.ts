import { describe, expect, it } from 'vitest';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import type { TestClient } from '../support/ws-client.js';

/**
 * Batched publish end to end (PROTOCOL §2 `messages`): plain `ws` clients against the local
 * runtime (API Gateway emulation, the Lambdas with their IAM policies enforced). Absence is
 * asserted after a later sentinel message arrived, never after a pause: a batch's copies are
 * posted before its answer, and the sentinel after that.
 */
describe('batched publish, end to end', () => {
  const { connect } = useE2eRuntime();
  const subscribed = async (client: TestClient, topic: string, qos: 0 | 1 | 2): Promise<void> => {
    client.send({ action: 'subscribe', controller: 'monitor', topic, qos });
    await client.waitFor((c) => c.json().find((f) => f.type === 'suback' && f.topic === topic), 10_000, `suback of ${topic}`);
  };
  const answer = (client: TestClient, type: string, id: string, nth = 1) =>
    client.waitFor((c) => c.json().filter((f) => f.type === type && f.id === id)[nth - 1], 10_000, `${type} ${nth} of ${id}`);
  const sentinel = async (publisher: TestClient, subscriber: TestClient, site: string, id: string): Promise<void> => {
    publisher.send({ action: 'publish', controller: 'monitor', topic: `${site}/sentinel`, data: id, qos: 1, id });
    await subscriber.waitFor((c) => c.messages().find((m) => m.data === id), 10_000, `the sentinel ${id}`);
  };
  // Each test its own site, so the subscribers of the others (still connected) do not count.
  const readings = (site: string, n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ controller: 'monitor', topic: `${site}/s${(from + i) % 7}`, data: { seq: from + i, v: 20 + i / 10 } }));

  it('a batch of 50 at QoS 1 gets one msgack and makes 50 deliveries to a subscriber', async () => {
    const subscriber = await connect({ qos: '1' });
    await subscribed(subscriber, 'site-a/#', 1);
    const publisher = await connect({ qos: '1' });
    publisher.send({ action: 'publish', qos: 1, id: 'b-50', messages: readings('site-a', 50) });
    expect(await answer(publisher, 'msgack', 'b-50')).toEqual({ type: 'msgack', id: 'b-50', recipients: 50 });
    await subscriber.waitFor((c) => c.messages().length >= 50, 10_000, '50 deliveries');
    await sentinel(publisher, subscriber, 'site-a', 'after-50');
    const got = subscriber.messages().filter((m) => !String(m.topic).endsWith('/sentinel'));
    expect(got.map((m) => (m.data as { seq: number }).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(got.every((m) => m.qos === 1 && m.dup === false)).toBe(true);
    expect(new Set(got.map((m) => m.id)).size).toBe(50);
    expect(publisher.json().filter((f) => f.type === 'msgack' && f.id === 'b-50')).toHaveLength(1);
    subscriber.send({ action: 'msgack', ids: got.slice(0, 100).map((m) => m.id) });
  });

  it('a batch at QoS 2 published twice and released twice is handed on once', async () => {
    const subscriber = await connect({ qos: '2' });
    await subscribed(subscriber, 'site-b/#', 2);
    const publisher = await connect({ qos: '2', clientId: 'batch-q2', session: 'persistent' });
    const frame = { action: 'publish', qos: 2, id: 'q-10', messages: readings('site-b', 10, 100) };
    publisher.send(frame);
    await answer(publisher, 'pubrec', 'q-10');
    publisher.send({ ...frame, dup: true });
    await answer(publisher, 'pubrec', 'q-10', 2);
    publisher.send({ action: 'pubrel', id: 'q-10' });
    expect(await answer(publisher, 'msgack', 'q-10')).toEqual({ type: 'msgack', id: 'q-10', recipients: 10 });
    publisher.send({ action: 'pubrel', id: 'q-10' });
    expect(await answer(publisher, 'msgack', 'q-10', 2)).toEqual({ type: 'msgack', id: 'q-10' });
    await sentinel(publisher, subscriber, 'site-b', 'after-q2');
    const got = subscriber.messages().filter((m) => !String(m.topic).endsWith('/sentinel'));
    expect(got.map((m) => (m.data as { seq: number }).seq)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(got.every((m) => m.qos === 2)).toBe(true);
  });

  it('a bad batch is refused naming the message, hands nothing on, and the connection stays', async () => {
    const subscriber = await connect({ qos: '1' });
    await subscribed(subscriber, 'site-c/#', 1);
    const publisher = await connect({ qos: '1' });
    const bad = [...readings('site-c', 3, 200), { controller: 'monitor', topic: 'site-c/+', data: 1 }, ...readings('site-c', 3, 204)];
    publisher.send({ action: 'publish', qos: 1, id: 'bad', messages: bad });
    expect(await answer(publisher, 'error', 'bad')).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^messages\[3\]: topic of a publish cannot hold the wildcards/) });
    publisher.send({ action: 'publish', qos: 1, id: 'too-many', messages: readings('site-c', 101, 300) });
    expect(await answer(publisher, 'error', 'too-many')).toMatchObject({ code: 'BAD_REQUEST', message: 'messages must be a non-empty array of at most 100 messages' });
    await sentinel(publisher, subscriber, 'site-c', 'after-bad');
    expect(subscriber.messages().filter((m) => !String(m.topic).endsWith('/sentinel'))).toEqual([]);
  });
});
