import { beforeEach, describe, expect, it } from 'vitest';
import type { Recipient, Subscription } from '../../lambdas/core/types.js';
import type { AudiencePage, AudiencePageRequest } from '../../lambdas/ports/audience-page.js';
import type { Stores } from '../../lambdas/ports/index.js';
import { LATER, subscriptionOf, T0 } from './subscription-fixture.js';

/**
 * The page-wise audience reads of the store contract (SubscriptionStore.subscriberPage,
 * ConnectionStore.memberPage): what a fan-out's page jobs rely on (app/fanout.ts). Run by
 * describeStoreContract on every store implementation.
 */
/** The audience these cases page through: subscribers of sensor/temp. */
const subscription = (sessionId: string, overrides: Partial<Subscription> = {}) => subscriptionOf('sensor', 'temp', sessionId, overrides);

const ids = (count: number, prefix = 's') => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

/** Reads pages one after another from where the last one ended, as a chain of page jobs does. */
async function readChain(read: (page: AudiencePageRequest) => Promise<AudiencePage>, limit: number): Promise<AudiencePage[]> {
  const pages: AudiencePage[] = [];
  let startKey: string | undefined;
  do {
    const page = await read({ limit, ...(startKey ? { startKey } : {}) });
    pages.push(page);
    startKey = page.next;
  } while (startKey !== undefined && pages.length < 100);
  return pages;
}

export function describeAudiencePageContract(label: string, makeStores: () => Promise<Stores>): void {
  describe(`${label}: audience pages`, () => {
    let stores: Stores;
    beforeEach(async () => {
      stores = await makeStores();
    });
    const subscriberPage = (page: AudiencePageRequest) => stores.subscriptions.subscriberPage('sensor', 'temp', T0, page);

    it('subscriberPage reads at most `limit`, in sessionId order, and a chain of pages by `next` finds every subscriber exactly once', async () => {
      const sessions = ids(17);
      await Promise.all(sessions.map((id) => stores.subscriptions.put(subscription(id))));
      const pages = await readChain(subscriberPage, 5);
      for (const page of pages) expect(page.recipients.length).toBeLessThanOrEqual(5);
      expect(pages.slice(0, 3).map((p) => p.recipients.length)).toEqual([5, 5, 5]);
      expect(pages.flatMap((p) => p.recipients.map((r) => r.sessionId))).toEqual(sessions);
      expect(pages.at(-1)?.next).toBeUndefined();
      expect(pages[0]?.recipients[0]).toEqual<Recipient>({ sessionId: 's-000', connectionId: 'conn-of-s-000', sessionKind: 'clean', claimedQos: 1, format: 'json', subscriptionQos: 1 });
    });

    it('a page with fewer items than `limit` is the last; an unknown topic is one empty last page', async () => {
      await Promise.all(ids(3).map((id) => stores.subscriptions.put(subscription(id))));
      const page = await subscriberPage({ limit: 10 });
      expect(page.recipients.map((r) => r.sessionId)).toEqual(ids(3));
      expect(page.next).toBeUndefined();
      expect(await stores.subscriptions.subscriberPage('sensor', 'nobody', T0, { limit: 10 })).toEqual({ recipients: [] });
    });

    it('leaves out expired subscribers but counts them toward `limit`, as a filtered Query does; the chain still ends', async () => {
      const sessions = ids(8);
      await Promise.all(sessions.map((id, i) => stores.subscriptions.put(subscription(id, i % 2 === 0 ? { expiresAt: T0 - 1 } : {}))));
      const first = await subscriberPage({ limit: 4 });
      expect(first.recipients.map((r) => r.sessionId)).toEqual(['s-001', 's-003']);
      const all = await readChain(subscriberPage, 4);
      expect(all.flatMap((p) => p.recipients.map((r) => r.sessionId))).toEqual(sessions.filter((_, i) => i % 2 === 1));
    });

    it('with `endKey` reads no further than it (inclusive), whatever joined meanwhile: a page read again has the same extent', async () => {
      await Promise.all(ids(10).map((id) => stores.subscriptions.put(subscription(id))));
      const first = await subscriberPage({ limit: 4 });
      const second = await subscriberPage({ limit: 4, startKey: first.next as string });
      expect(second.recipients.map((r) => r.sessionId)).toEqual(['s-004', 's-005', 's-006', 's-007']);
      // Two join inside the second page's extent: read by its recorded end, it holds them and stops at s-007.
      await stores.subscriptions.put(subscription('s-004a'));
      await stores.subscriptions.put(subscription('s-005a'));
      const again = await subscriberPage({ limit: 100, startKey: first.next as string, endKey: second.next as string });
      expect(again.recipients.map((r) => r.sessionId)).toEqual(['s-004', 's-004a', 's-005', 's-005a', 's-006', 's-007']);
      expect(again.next).toBeUndefined();
      // And limited, it pages within the extent.
      const limited = await subscriberPage({ limit: 4, startKey: first.next as string, endKey: second.next as string });
      expect(limited.recipients).toHaveLength(4);
      const rest = await subscriberPage({ limit: 4, startKey: limited.next as string, endKey: second.next as string });
      expect(rest.recipients.map((r) => r.sessionId)).toEqual(['s-006', 's-007']);
    });

    it('memberPage pages through a controller\'s members (clean connections and persistent sessions) exactly once', async () => {
      const connections = ids(7, 'c');
      await Promise.all(
        connections.map((id) =>
          stores.connections.put({ connectionId: id, sessionId: id, sessionKind: 'clean', claimedQos: 1, format: 'json', controllers: ['monitor'], connectedAt: T0 - 1000, expiresAt: LATER }),
        ),
      );
      await stores.connections.putSession({ sessionId: 'p1', sessionKind: 'persistent', connectionId: 'pc1', claimedQos: 2, format: 'text', expiresAt: LATER });
      await stores.connections.openSessionControllers({ sessionId: 'p1', connectionId: 'pc1', sessionKind: 'persistent', claimedQos: 2, format: 'text', expiresAt: LATER }, ['monitor']);
      const pages = await readChain((page) => stores.connections.memberPage('monitor', T0, page), 3);
      for (const page of pages) expect(page.recipients.length).toBeLessThanOrEqual(3);
      const found = pages.flatMap((p) => p.recipients);
      expect(found.map((r) => r.sessionId).sort()).toEqual([...connections, 'p1'].sort());
      expect(found.find((r) => r.sessionId === 'p1')).toEqual<Recipient>({ sessionId: 'p1', connectionId: 'pc1', sessionKind: 'persistent', claimedQos: 2, format: 'text' });
      expect(await stores.connections.memberPage('nobody', T0, { limit: 3 })).toEqual({ recipients: [] });
    });
  });
}
