/**
 * The claims that make each fan-out page idempotent (docs/architecture.md "Fan-out beyond one
 * Lambda"): a queue may hand a page job out twice, at once or after a worker died mid-page.
 * Keyed by the page's id (its delivery's server id and its start key); a conditional write
 * with a lease, like the inbound record's `releasingUntil` (InboundStore.claim).
 */
/** A page of one delivery: its server id and the key its page starts after. */
export interface PageId {
  messageId: string;
  startKey: string;
}

export interface PageClaimStore {
  /**
   * Claims the page until `leaseUntil`:
   * - `first`: nobody had; the page's recipients have no entry of this delivery yet.
   * - `again`: an earlier claim's lease ran out before it finished (its worker died mid-page):
   *   some recipients may have entries already, so only absent ones are stored.
   * - `busy`: another worker holds it now.
   * - `done`: finished before.
   * `end` is what the first claimant recorded of the page's extent (see recordEnd), `stored`
   * whether its entries were all stored (see markStored).
   * The claim lives until `expiresAt` (the delivery's entries' expiry: no re-run can come later).
   */
  claim(page: PageId, leaseUntil: number, now: number, expiresAt: number): Promise<PageClaim>;
  /**
   * Records where the page ends, once, before the next page's job is queued: the page's last
   * key (the next page starts after it), or none for the audience's last page. A later claimant
   * reads that same extent (not a fresh Limit, which a changed audience would shift), so the
   * chain of pages never gaps nor overlaps. Returns the extent recorded (the first one wins).
   */
  recordEnd(page: PageId, end: PageEnd): Promise<PageEnd>;
  /**
   * Marks the page's entries stored (after its store, before any of its sends). A claimant after
   * a lease ran out then knows every entry of the page is in place and some may have been posted
   * and acked since (an acked QoS 1 entry is deleted, so storing "where absent" would send it
   * again): it stores and sends nothing, and the sweep posts what the dead worker did not.
   */
  markStored(page: PageId): Promise<void>;
  /** Marks the page finished: every later claim is `done`. */
  finish(page: PageId): Promise<void>;
}

/** Where a page ends: after `endKey` (inclusive), or at the audience's end. */
export type PageEnd = { endKey: string } | { last: true };

export type PageClaim = { result: 'first' | 'again' | 'busy' | 'done'; end?: PageEnd; stored?: true };
