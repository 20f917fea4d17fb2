import { onceAcrossPartitions } from '../core/audience.js';
import type { Delivery } from '../core/delivery.js';
import type { Recipient } from '../core/types.js';
import type { AudiencePage, AudiencePageRequest } from '../ports/audience-page.js';
import type { AppDeps } from './deps.js';

/**
 * A publish's audience when filters match (PROTOCOL §8): partitions in a fixed order, the exact
 * topic first, then each filter of `delivery.filters`. Read one partition at a time, so a page
 * key names its partition and where in it the page starts:
 *
 *   {"p":0,"k":<the store's key>}   after that key in partition 0
 *   {"p":1}                         partition 1 from its start (partition 0 was read to its end)
 *
 * Without filters the audience is the exact topic's partition and its keys are the store's own,
 * as before.
 */
export function partitionsOf(delivery: Delivery): string[] {
  return [delivery.topic, ...(delivery.filters ?? [])];
}

interface PartitionKey {
  p: number;
  k?: string;
}

function encodeKey(key: PartitionKey): string {
  return JSON.stringify(key.k === undefined ? { p: key.p } : { p: key.p, k: key.k });
}

/** A partitioned page key back, refused unless it names one of the audience's partitions. */
function decodeKey(text: string, count: number): PartitionKey {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    key = undefined;
  }
  const record = key as Record<string, unknown> | null | undefined;
  const p = record?.p;
  if (record === null || typeof record !== 'object' || typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= count || (record.k !== undefined && typeof record.k !== 'string')) {
    throw new Error(`qosgate: ${JSON.stringify(text)} is not a page key of an audience of ${count} partitions`);
  }
  return record.k === undefined ? { p } : { p, k: record.k as string };
}

/** Which partition a page starting at `startKey` reads (0 without filters). */
export function pagePartition(delivery: Delivery, startKey: string | undefined): number {
  if (!delivery.filters?.length || startKey === undefined) return 0;
  return decodeKey(startKey, partitionsOf(delivery).length).p;
}

/** One page of the delivery's audience: the controller's members (invoke) or the topic's subscribers (publish). */
export function readAudiencePage(deps: AppDeps, delivery: Delivery, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
  if (delivery.via === 'invoke') return deps.stores.connections.memberPage(delivery.controller, now, page);
  if (!delivery.filters?.length) return deps.stores.subscriptions.subscriberPage(delivery.controller, delivery.topic, now, page);
  return readPartitionedPage(deps, delivery, now, page);
}

/**
 * One page of one partition. When a partition is read to its end, `next` is the next
 * partition's start; `endKey` (a key this function returned) bounds the read as a store's does.
 */
async function readPartitionedPage(deps: AppDeps, delivery: Delivery, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
  const partitions = partitionsOf(delivery);
  const start = page.startKey === undefined ? { p: 0 } : decodeKey(page.startKey, partitions.length);
  const end = page.endKey === undefined ? undefined : decodeKey(page.endKey, partitions.length);
  // An end at or before this partition's start: nothing of it is in range.
  if (end !== undefined && (end.p < start.p || (end.p === start.p && end.k === undefined))) return { recipients: [] };
  const endsHere = end !== undefined && end.p === start.p;
  const read = await deps.stores.subscriptions.subscriberPage(delivery.controller, partitions[start.p] as string, now, {
    limit: page.limit,
    ...(start.k === undefined ? {} : { startKey: start.k }),
    ...(endsHere && end.k !== undefined ? { endKey: end.k } : {}),
  });
  if (read.next !== undefined) return { recipients: read.recipients, next: encodeKey({ p: start.p, k: read.next }) };
  if (!endsHere && start.p + 1 < partitions.length) return { recipients: read.recipients, next: encodeKey({ p: start.p + 1 }) };
  return { recipients: read.recipients };
}

/**
 * One page of partition `partition`, made "once per session" (core/audience.ts): one
 * BatchGetItem of the page's sessions in every other partition; a session an earlier partition
 * holds is left to that partition's page, the others get their best subscription's QoS.
 * Nothing to read without filters.
 */
export async function onceAcross(deps: AppDeps, delivery: Delivery, partition: number, recipients: Recipient[], now: number): Promise<Recipient[]> {
  if (!delivery.filters?.length || recipients.length === 0) return recipients;
  const partitions = partitionsOf(delivery);
  const others = partitions.filter((_, index) => index !== partition);
  const hits = await deps.stores.subscriptions.subscriptionsAmong(delivery.controller, others, recipients.map((r) => r.sessionId), now);
  return onceAcrossPartitions(
    recipients,
    partition,
    hits.map((hit) => ({ partition: partitions.indexOf(hit.topic), sessionId: hit.sessionId, subscriptionQos: hit.subscriptionQos })),
  );
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
