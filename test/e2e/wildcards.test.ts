import { describe, expect, it } from 'vitest';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * Topic filters end to end (PROTOCOL §8): `ws` clients against the local runtime (synthesized
 * app, API Gateway emulation, the Lambdas with their IAM policies enforced, DynamoDB Local).
 * Absence is asserted after a later sentinel message arrived, never after a pause: the copies of
 * a publish are posted before its msgack, so a second copy would already be there.
 */
describe('wildcard subscriptions, end to end', () => {
  const { connect } = useE2eRuntime();
  const subscribed = async (client: TestClient, topic: string, qos: 0 | 1 | 2): Promise<void> => {
    client.send({ action: 'subscribe', controller: 'monitor', topic, qos });
    await client.waitFor((c) => c.json().find((f) => f.type === 'suback' && f.topic === topic), 10_000, `suback of ${topic}`);
  };
  const published = async (publisher: TestClient, topic: string, data: unknown, id: string, retain = false): Promise<Record<string, unknown>> => {
    publisher.send({ action: 'publish', controller: 'monitor', topic, data, qos: 1, id, retain });
    return publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === id), 10_000, `msgack of ${id}`);
  };
  const firstCopies = (client: TestClient, topic: string) => client.messages().filter((m) => m.topic === topic && m.dup === false);

  it('one copy at the best QoS to a session whose filters and exact subscription all match; another session’s filter gets it; a non-matching one does not', async () => {
    const both = await connect({ qos: '2' });
    await subscribed(both, 'site-1/boiler/temp', 0);
    await subscribed(both, 'site-1/+/temp', 1);
    await subscribed(both, 'site-1/#', 0);
    await subscribed(both, 'sentinel', 0);
    const other = await connect({ qos: '1' });
    both.send('monitor|subscribe|+/boiler/+|1');
    other.send('monitor|subscribe|+/boiler/+|1');
    await other.waitFor((c) => c.json().find((f) => f.type === 'suback'), 10_000, 'the text-frame suback');
    await subscribed(other, 'sentinel', 0);
    const elsewhere = await connect({ qos: '1' });
    await subscribed(elsewhere, 'site-1/+/humidity', 1);
    await subscribed(elsewhere, 'site-2/#', 1);
    await subscribed(elsewhere, 'sentinel', 0);
    await both.waitFor((c) => c.json().find((f) => f.type === 'suback' && f.topic === '+/boiler/+'), 10_000, 'the text-frame suback');

    const publisher = await connect({ qos: '1' });
    expect(await published(publisher, 'site-1/boiler/temp', 21.5, 'p1')).toEqual({ type: 'msgack', id: 'p1', recipients: 2 });
    await published(publisher, 'sentinel', 'after', 'p2');
    for (const client of [both, other, elsewhere]) await client.waitFor((c) => c.messages().find((m) => m.topic === 'sentinel'), 10_000, 'the sentinel');

    expect(firstCopies(both, 'site-1/boiler/temp')).toMatchObject([{ controller: 'monitor', topic: 'site-1/boiler/temp', data: 21.5, qos: 1 }]);
    expect(firstCopies(other, 'site-1/boiler/temp')).toMatchObject([{ topic: 'site-1/boiler/temp', data: 21.5, qos: 1 }]);
    expect(elsewhere.messages().filter((m) => m.topic !== 'sentinel')).toEqual([]);
    for (const client of [both, other]) client.send({ action: 'msgack', ids: client.messages().filter((m) => typeof m.id === 'string').map((m) => m.id) });
  });

  it('a new filter subscriber gets the retained values of every topic it matches', async () => {
    const publisher = await connect({ qos: '1' });
    await published(publisher, 'site-3/boiler/temp', 60, 'r1', true);
    await published(publisher, 'site-3/pump/temp', 20, 'r2', true);
    await published(publisher, 'site-3/pump/humidity', 40, 'r3', true);
    const late = await connect({ qos: '1' });
    await subscribed(late, 'site-3/+/temp', 1);
    await late.waitFor((c) => c.messages().length >= 2, 10_000, 'two retained values');
    const retained = late.messages().map((m) => [m.topic, m.data, m.retained]);
    expect(retained.sort()).toEqual([
      ['site-3/boiler/temp', 60, true],
      ['site-3/pump/temp', 20, true],
    ]);
  });

  it('refuses a/#/b naming the rule, and loses nothing: the session’s filter still delivers', async () => {
    const client = await connect({ qos: '1' });
    await subscribed(client, 'site-4/#', 1);
    client.send({ action: 'subscribe', controller: 'monitor', topic: 'a/#/b', qos: 1 });
    const refusal = await client.waitFor((c) => c.json().find((f) => f.type === 'error'), 10_000, 'the refusal');
    expect(refusal).toEqual({ type: 'error', code: 'BAD_REQUEST', message: '# must be the last level', action: 'subscribe' });
    client.send({ action: 'publish', controller: 'monitor', topic: 'site-4/+', data: 1, qos: 1, id: 'w' });
    const wildPublish = await client.waitFor((c) => c.json().filter((f) => f.type === 'error')[1], 10_000, 'the publish refusal');
    expect(wildPublish).toMatchObject({ code: 'BAD_REQUEST', action: 'publish', id: 'w' });

    const publisher = await connect({ qos: '1' });
    await published(publisher, 'site-4/x', 'kept', 'k');
    expect(await client.waitFor((c) => c.messages()[0], 10_000, 'the message')).toMatchObject({ topic: 'site-4/x', data: 'kept', qos: 1 });

    // Unsubscribing the filter (the Unsubscribe function's grants cover the index) ends it.
    client.send({ action: 'unsubscribe', controller: 'monitor', topic: 'site-4/#' });
    expect(await client.waitFor((c) => c.json().find((f) => f.type === 'unsuback'), 10_000, 'the unsuback')).toEqual({ type: 'unsuback', controller: 'monitor', topic: 'site-4/#' });
    await subscribed(client, 'sentinel-4', 0);
    await published(publisher, 'site-4/y', 'gone', 'g');
    await published(publisher, 'sentinel-4', 'after', 's4');
    await client.waitFor((c) => c.messages().find((m) => m.topic === 'sentinel-4'), 10_000, 'the sentinel');
    expect(client.messages().filter((m) => m.topic === 'site-4/y')).toEqual([]);
  });
});
