import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/**
 * A batched publish (PROTOCOL §2 `messages`) reads each controller/topic's audience once for all
 * its messages (app/shared-audience-reads.ts), on the fan-out wiring the Lambdas have, and still
 * hands every message to everybody it is for.
 */
describe('a batch shares its audience reads', () => {
  let h: Harness;
  const calls = { filtersMatching: 0, subscriberPage: 0, memberPage: 0 };

  beforeAll(async () => {
    h = await Harness.start({ fanout: {} });
    // Counting spies on the real stores (not mocks: every call goes through).
    const { subscriptions, connections } = h.deps.stores;
    const filtersMatching = subscriptions.filtersMatching.bind(subscriptions);
    const subscriberPage = subscriptions.subscriberPage.bind(subscriptions);
    const memberPage = connections.memberPage.bind(connections);
    subscriptions.filtersMatching = (...args) => (calls.filtersMatching++, filtersMatching(...args));
    subscriptions.subscriberPage = (...args) => (calls.subscriberPage++, subscriberPage(...args));
    connections.memberPage = (...args) => (calls.memberPage++, memberPage(...args));
  });
  afterAll(() => h.close());

  const reset = () => Object.assign(calls, { filtersMatching: 0, subscriberPage: 0, memberPage: 0 });

  it('10 readings on 2 topics: each topic’s filters and subscribers read once; every reading reaches its subscribers', async () => {
    const exact = await h.client({ qos: '1' });
    const wildcard = await h.client({ qos: '1' });
    await h.send(exact, { action: 'subscribe', controller: 'monitor', topic: 'site-1/a', qos: 1 });
    await h.send(wildcard, { action: 'subscribe', controller: 'monitor', topic: 'site-1/#', qos: 1 });
    const device = await h.client({ qos: '1' });
    reset();
    const messages = Array.from({ length: 10 }, (_, i) => ({ controller: 'monitor', topic: i % 2 === 0 ? 'site-1/a' : 'site-1/b', data: i }));
    await h.send(device, { action: 'publish', qos: 1, id: 'b-1', messages });
    expect(h.frames(device)).toEqual([{ type: 'msgack', id: 'b-1', recipients: 15 }]);
    expect(h.messages(exact).map((m) => m.data)).toEqual([0, 2, 4, 6, 8]);
    expect(h.messages(wildcard).map((m) => m.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Per topic: its filters once; its own partition and the matching filter's, once each.
    expect(calls.filtersMatching).toBe(2);
    expect(calls.subscriberPage).toBe(3);
  });

  it('a controller method’s invokes read the controller’s members once for the batch', async () => {
    const monitor = await h.client({ qos: '1', controllers: 'monitor' });
    const device = await h.client({ qos: '1' });
    reset();
    await h.send(device, { action: 'publish', qos: 1, id: 'b-2', messages: [20, 21, 22, 23].map((t) => ({ controller: 'sensor', topic: 'temp', data: t })) });
    expect(h.messages(monitor).map((m) => m.data)).toEqual([20, 21, 22, 23]);
    expect(calls.memberPage).toBe(1);
  });

  it('single publishes read as they did: once per publish', async () => {
    const device = await h.client({ qos: '1' });
    reset();
    for (const data of [1, 2]) await h.send(device, { action: 'publish', controller: 'monitor', topic: 'site-1/a', data, qos: 1, id: `s-${data}` });
    expect(calls.filtersMatching).toBe(2);
  });
});
