/** The audience of a publish that topic filters match (PROTOCOL §8): which filters, and the whole audience when it fits inline. */
import { mergePartitions } from '../core/audience.js';
import type { Delivery } from '../core/delivery.js';
import type { Recipient } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { partitionsOf } from './fanout.js';
import { mapLimit } from './map-limit.js';

/** Recipients handed on at once when there is no fan-out queue and filters matched. */
export const UNQUEUED_PAGE = 1000;

/** PROTOCOL §8: a publish (not an invoke) names the controller's filters that match its topic, once, at its start. */
export async function withMatchingFilters(deps: AppDeps, delivery: Delivery, now: number): Promise<Delivery> {
  if (delivery.via !== 'publish' || delivery.filters !== undefined) return delivery;
  const filters = await deps.stores.subscriptions.filtersMatching(delivery.controller, delivery.topic, now);
  return filters.length > 0 ? { ...delivery, filters } : delivery;
}

/**
 * The whole audience of a delivery with filters, one copy per session at its best QoS
 * (core/audience.ts), when it can be read here: without a fan-out queue always (as every
 * page is read inline then), with one only if every partition fits one inline page and so
 * does their union. Undefined: too large, the partitions go by page jobs (app/fanout.ts).
 */
export async function readWholeAudience(deps: AppDeps, delivery: Delivery, now: number, inlinePageSize: number | undefined): Promise<Recipient[] | undefined> {
  const { subscriptions } = deps.stores;
  const partitions = partitionsOf(delivery);
  if (inlinePageSize === undefined) {
    const lists: Recipient[][] = [];
    for (const topic of partitions) {
      const list: Recipient[] = [];
      for await (const page of subscriptions.subscribersOf(delivery.controller, topic, now)) list.push(...page);
      lists.push(list);
    }
    return mergePartitions(lists);
  }
  const pages = await mapLimit(partitions, PARTITION_READS, (topic) => subscriptions.subscriberPage(delivery.controller, topic, now, { limit: inlinePageSize }));
  if (pages.some((page) => page.next !== undefined)) return undefined;
  const merged = mergePartitions(pages.map((page) => page.recipients));
  return merged.length <= inlinePageSize ? merged : undefined;
}

/** Partitions read at once by the inline path. */
const PARTITION_READS = 8;
