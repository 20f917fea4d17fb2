import type { Delivery } from './delivery.js';

/** Where a page ends: after `endKey` (inclusive), or at the audience's end. */
export type PageEnd = { endKey: string } | { last: true };

/** A span's page ends as a claim records them: at least one, and the audience's end only as the last. */
export function checkEnds(ends: PageEnd[]): void {
  if (ends.length === 0 || ends.slice(0, -1).some((end) => !('endKey' in end))) {
    throw new Error(`qosgate: page ends must be one or more end keys, the audience's end only last: ${JSON.stringify(ends)}`);
  }
}

/**
 * One page of a large fan-out, handed on by queue (docs/architecture.md "Fan-out beyond one
 * Lambda", PROTOCOL §4): the delivery as the publish made it, its server id, the publish's `now`
 * (every entry's createdAt, deadline and body key are the publish's, whoever stores them), where
 * the page starts in the audience's Query and how many recipients it reads.
 *
 * Two kinds, so that the pages of one audience run side by side rather than one after another:
 * - a span job (no `end`) reads where its next `spanPages` pages end, hands the first on itself,
 *   and queues each other page as a bounded job and the audience's rest as the next span job;
 * - a bounded job (`end`) hands on exactly the page from `startKey` to `end` and queues nothing.
 * A job without either field (queued before spans) is a span of one page: the chain of old.
 */
export interface PageJob {
  delivery: Delivery;
  messageId: string;
  /** The publish's time, not the worker's. */
  now: number;
  /** The Query's start key (an audience store's opaque page key): the page begins after it. */
  startKey: string;
  /** Most recipients the page reads. */
  pageSize: number;
  /** A span job: how many pages it reads the ends of (absent: 1). */
  spanPages?: number;
  /** A bounded job: where its page ends, as the span job that queued it recorded. */
  end?: PageEnd;
}

/** A job body that is not a PageJob: the worker refuses it (and the queue dead-letters it) rather than guess. */
export class PageJobError extends Error {
  override readonly name = 'PageJobError';
}

/** The job as its queue message body (JSON). */
export function encodePageJob(job: PageJob): string {
  return JSON.stringify(job);
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;
const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** A queue message body back to the job, every field checked; anything else throws a {@link PageJobError} saying what is wrong. */
export function parsePageJob(body: string): PageJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new PageJobError('page job: the body is not JSON');
  }
  if (!isObject(raw)) throw new PageJobError('page job: the body is not an object');
  const { delivery, messageId, now, startKey, pageSize, spanPages, end } = raw;
  if (!isObject(delivery)) throw new PageJobError('page job: delivery is missing');
  if (delivery.via !== 'invoke' && delivery.via !== 'publish') throw new PageJobError(`page job: delivery.via must be invoke or publish, got ${JSON.stringify(delivery.via)}`);
  if (!isName(delivery.controller) || typeof delivery.topic !== 'string') throw new PageJobError('page job: delivery.controller and delivery.topic must be strings');
  if (delivery.qos !== 0 && delivery.qos !== 1 && delivery.qos !== 2) throw new PageJobError(`page job: delivery.qos must be 0, 1 or 2, got ${JSON.stringify(delivery.qos)}`);
  if (delivery.retained !== undefined && typeof delivery.retained !== 'boolean') throw new PageJobError('page job: delivery.retained must be a boolean');
  if (delivery.rerun !== undefined && typeof delivery.rerun !== 'boolean') throw new PageJobError('page job: delivery.rerun must be a boolean');
  if (delivery.filters !== undefined && !(Array.isArray(delivery.filters) && delivery.filters.every(isName))) {
    throw new PageJobError('page job: delivery.filters must be an array of non-empty strings');
  }
  if (delivery.expiresAt !== undefined && !Number.isSafeInteger(delivery.expiresAt)) throw new PageJobError('page job: delivery.expiresAt must be an integer (ms)');
  if (!isName(messageId)) throw new PageJobError('page job: messageId must be a non-empty string');
  if (!isCount(now)) throw new PageJobError(`page job: now must be a positive integer (ms), got ${JSON.stringify(now)}`);
  if (!isName(startKey)) throw new PageJobError('page job: startKey must be a non-empty string');
  if (!isCount(pageSize)) throw new PageJobError(`page job: pageSize must be a positive integer, got ${JSON.stringify(pageSize)}`);
  if (spanPages !== undefined && !isCount(spanPages)) throw new PageJobError(`page job: spanPages must be a positive integer, got ${JSON.stringify(spanPages)}`);
  const bound = end === undefined ? undefined : parseEnd(end);
  if (bound !== undefined && spanPages !== undefined) throw new PageJobError('page job: a job is a span (spanPages) or bounded (end), not both');
  const parsed: Delivery = {
    via: delivery.via,
    controller: delivery.controller,
    topic: delivery.topic,
    data: delivery.data,
    qos: delivery.qos,
    ...(delivery.retained ? { retained: true } : {}),
    ...(delivery.rerun ? { rerun: true } : {}),
    ...(Array.isArray(delivery.filters) && delivery.filters.length > 0 ? { filters: delivery.filters as string[] } : {}),
    // PROTOCOL §4 per-message expiry: the message's end travels with every page of its audience.
    ...(delivery.expiresAt !== undefined ? { expiresAt: delivery.expiresAt as number } : {}),
  };
  return { delivery: parsed, messageId, now, startKey, pageSize, ...(spanPages !== undefined ? { spanPages } : {}), ...(bound ? { end: bound } : {}) };
}

function parseEnd(end: unknown): PageEnd {
  if (isObject(end) && isName(end.endKey) && end.last === undefined) return { endKey: end.endKey };
  if (isObject(end) && end.last === true && end.endKey === undefined) return { last: true };
  throw new PageJobError(`page job: end must be {"endKey": <a page key>} or {"last": true}, got ${JSON.stringify(end)}`);
}
