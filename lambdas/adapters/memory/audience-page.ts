import type { Recipient } from '../../core/types.js';
import type { AudiencePage, AudiencePageRequest } from '../../ports/audience-page.js';
import { compareStrings } from './records.js';

/**
 * A page of an audience as a Query with Limit, ExclusiveStartKey and `sk <= endKey` reads it:
 * `keyed` are every item with its sort key (expired ones too, as a Query evaluates them before
 * its filter), `live` the filter. The page key is the sort key itself.
 */
export function audiencePage<T>(
  keyed: Array<[string, T]>,
  live: (item: T) => boolean,
  toRecipient: (item: T) => Recipient,
  page: AudiencePageRequest,
): AudiencePage {
  const inRange = keyed
    .filter(([key]) => (page.startKey === undefined || compareStrings(key, page.startKey) > 0) && (page.endKey === undefined || compareStrings(key, page.endKey) <= 0))
    .sort(([a], [b]) => compareStrings(a, b));
  const evaluated = inRange.slice(0, page.limit);
  const last = evaluated.at(-1);
  return {
    recipients: evaluated.filter(([, item]) => live(item)).map(([, item]) => toRecipient(item)),
    ...(evaluated.length < inRange.length && last ? { next: last[0] } : {}),
  };
}
