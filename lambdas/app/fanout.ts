import type { Delivery } from '../core/delivery.js';
import type { AudiencePage, AudiencePageRequest } from '../ports/audience-page.js';
import type { AppDeps } from './deps.js';

/** One page of the delivery's audience: the controller's members (invoke) or the topic's subscribers (publish). */
export function readAudiencePage(deps: AppDeps, delivery: Delivery, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
  return delivery.via === 'invoke'
    ? deps.stores.connections.memberPage(delivery.controller, now, page)
    : deps.stores.subscriptions.subscriberPage(delivery.controller, delivery.topic, now, page);
}

/**
 * Every recipient from `startKey` to the page's recorded end (inclusive, or the audience's end),
 * read `limit` at a time: a page claimed again reads the extent its first claimant read, not
 * a fresh Limit that a changed audience would shift.
 */
export async function readAudienceExtent(
  deps: AppDeps,
  delivery: Delivery,
  now: number,
  extent: { startKey: string; endKey?: string; limit: number },
): Promise<AudiencePage['recipients']> {
  const recipients: AudiencePage['recipients'] = [];
  let startKey: string | undefined = extent.startKey;
  while (startKey !== undefined) {
    const page = await readAudiencePage(deps, delivery, now, { startKey, limit: extent.limit, ...(extent.endKey ? { endKey: extent.endKey } : {}) });
    recipients.push(...page.recipients);
    startKey = page.next;
  }
  return recipients;
}
