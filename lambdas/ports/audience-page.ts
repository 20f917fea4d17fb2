import type { Recipient } from '../core/types.js';

/**
 * One page of a fan-out's audience, read by key (DynamoDB: Query with Limit and
 * ExclusiveStartKey), so a page job can carry where it starts (core/page-job.ts).
 * Keys are opaque strings only the store that made them reads.
 */
export interface AudiencePageRequest {
  /** Read after this key (a `next` the same store returned); absent: from the start. */
  startKey?: string;
  /** Read no further than this key, inclusive (a `next` the same store returned). */
  endKey?: string;
  /** Most items read: a page holds at most this many recipients, fewer where expired ones are left out. */
  limit: number;
}

export interface AudiencePage {
  recipients: Recipient[];
  /** The key of the last item read, when there may be more (within `endKey`): the next page starts after it. */
  next?: string;
}
