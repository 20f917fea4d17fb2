import { beforeEach, describe, expect, it } from 'vitest';
import type { RetainedMessage } from '../../lambdas/core/types.js';
import type { Stores } from '../../lambdas/ports/index.js';
import { LATER, T0, subscriptionOf } from './subscription-fixture.js';

/**
 * The store contract's topic-filter cases (PROTOCOL §8), run by store-contract.ts on every
 * store set: the filter index behind SubscriptionStore.filtersMatching, the dedupe read
 * subscriptionsAmong, and RetainedStore.matching.
 */
export function describeFilterContract(label: string, makeStores: () => Promise<Stores>): void {
  describe(`${label}: topic filters (PROTOCOL §8)`, () => {
    let stores: Stores;
    beforeEach(async () => {
      stores = await makeStores();
    });

    const retained = (controller: string, topic: string, overrides: Partial<RetainedMessage> = {}): RetainedMessage => ({
      controller,
      topic,
      data: topic,
      qos: 1,
      publishedAt: T0,
      expiresAt: LATER,
      ...overrides,
    });

    it('filtersMatching finds the controller’s filters that match a topic, sorted, and no others', async () => {
      const { subscriptions } = stores;
      for (const [topic, session] of [
        ['site-1/+/temp', 's1'],
        ['site-1/#', 's2'],
        ['#', 's3'],
        ['+/boiler/+', 's4'],
        ['site-1/+/humidity', 's5'],
        ['site-2/#', 's6'],
        ['site-1/boiler/temp', 's7'],
      ] as const) {
        await subscriptions.put(subscriptionOf('monitor', topic, session));
      }
      await subscriptions.put(subscriptionOf('sensor', 'site-1/#', 's8'));
      expect(await subscriptions.filtersMatching('monitor', 'site-1/boiler/temp', T0)).toEqual(['#', '+/boiler/+', 'site-1/#', 'site-1/+/temp']);
      expect(await subscriptions.filtersMatching('monitor', 'site-1', T0)).toEqual(['#', 'site-1/#']);
      expect(await subscriptions.filtersMatching('sensor', 'site-2/x', T0)).toEqual([]);
    });

    it('a filter subscription is a subscription like any other: its partition, ofSession and delete', async () => {
      const { subscriptions } = stores;
      const filter = subscriptionOf('monitor', 'site-1/+/temp', 's1', { subscriptionQos: 2 });
      await subscriptions.put(filter);
      const page = await subscriptions.subscriberPage('monitor', 'site-1/+/temp', T0, { limit: 10 });
      expect(page.recipients.map((r) => [r.sessionId, r.subscriptionQos])).toEqual([['s1', 2]]);
      expect(await subscriptions.ofSession('s1', T0)).toEqual([filter]);
      await subscriptions.delete('monitor', 'site-1/+/temp', 's1');
      expect(await subscriptions.ofSession('s1', T0)).toEqual([]);
    });

    it('the last unsubscribe of a filter takes it out of the index; an earlier one does not', async () => {
      const { subscriptions } = stores;
      await subscriptions.put(subscriptionOf('monitor', 'site-1/#', 's1'));
      await subscriptions.put(subscriptionOf('monitor', 'site-1/#', 's2'));
      await subscriptions.delete('monitor', 'site-1/#', 's1');
      expect(await subscriptions.filtersMatching('monitor', 'site-1/a', T0)).toEqual(['site-1/#']);
      await subscriptions.delete('monitor', 'site-1/#', 's2');
      expect(await subscriptions.filtersMatching('monitor', 'site-1/a', T0)).toEqual([]);
      // Subscribing again indexes it again.
      await subscriptions.put(subscriptionOf('monitor', 'site-1/#', 's3'));
      expect(await subscriptions.filtersMatching('monitor', 'site-1/a', T0)).toEqual(['site-1/#']);
    });

    it('a persistent session that comes back keeps its filters findable, beyond their first lifetime', async () => {
      const { subscriptions } = stores;
      await subscriptions.put(subscriptionOf('monitor', 'site-1/+/temp', 'p1', { sessionKind: 'persistent', expiresAt: T0 + 1000 }));
      await subscriptions.attach('p1', 'conn-2', LATER + 10_000, T0);
      expect(await subscriptions.filtersMatching('monitor', 'site-1/x/temp', T0 + 5000)).toEqual(['site-1/+/temp']);
      const page = await subscriptions.subscriberPage('monitor', 'site-1/+/temp', T0 + 5000, { limit: 10 });
      expect(page.recipients.map((r) => r.connectionId)).toEqual(['conn-2']);
    });

    it('subscriptionsAmong gives the live subscriptions among the (topic, session) pairs asked, with their QoS', async () => {
      const { subscriptions } = stores;
      await subscriptions.put(subscriptionOf('monitor', 'site-1/boiler/temp', 's1', { subscriptionQos: 0 }));
      await subscriptions.put(subscriptionOf('monitor', 'site-1/#', 's1', { subscriptionQos: 2 }));
      await subscriptions.put(subscriptionOf('monitor', 'site-1/#', 's2', { subscriptionQos: 1, expiresAt: T0 - 1 }));
      await subscriptions.put(subscriptionOf('monitor', 'site-1/+/temp', 's3', { subscriptionQos: 1 }));
      await subscriptions.put(subscriptionOf('sensor', 'site-1/#', 's3'));
      const hits = await subscriptions.subscriptionsAmong('monitor', ['site-1/boiler/temp', 'site-1/#'], ['s1', 's2', 's3', 'nobody'], T0);
      const sorted = hits.map((hit) => [hit.topic, hit.sessionId, hit.subscriptionQos]).sort();
      expect(sorted).toEqual([
        ['site-1/#', 's1', 2],
        ['site-1/boiler/temp', 's1', 0],
      ]);
      expect(await subscriptions.subscriptionsAmong('monitor', [], ['s1'], T0)).toEqual([]);
    });

    it('RetainedStore.matching gives the live retained values of every topic the filter matches, in topic order', async () => {
      const { retained: store } = stores;
      await store.put(retained('monitor', 'site-1/boiler/temp'));
      await store.put(retained('monitor', 'site-1/pump/temp'));
      await store.put(retained('monitor', 'site-1/pump/humidity'));
      await store.put(retained('monitor', 'site-10/pump/temp'));
      await store.put(retained('monitor', 'site-1/old/temp', { expiresAt: T0 - 1 }));
      await store.put(retained('monitor', 'site-1', { data: 'root' }));
      await store.put(retained('sensor', 'site-1/boiler/temp'));
      const topics = async (filter: string) => (await store.matching('monitor', filter, T0)).map((message) => message.topic);
      expect(await topics('site-1/+/temp')).toEqual(['site-1/boiler/temp', 'site-1/pump/temp']);
      expect(await topics('site-1/#')).toEqual(['site-1', 'site-1/boiler/temp', 'site-1/pump/humidity', 'site-1/pump/temp']);
      expect(await topics('+/pump/temp')).toEqual(['site-1/pump/temp', 'site-10/pump/temp']);
      expect((await store.matching('monitor', 'site-1/boiler/temp', T0)).map((message) => message.data)).toEqual(['site-1/boiler/temp']);
      expect(await store.matching('monitor', 'nothing/#', T0)).toEqual([]);
      expect(await store.matching('monitor', 'site-1/boiler/#', T0)).toStrictEqual([retained('monitor', 'site-1/boiler/temp')]);
    });
  });
}
