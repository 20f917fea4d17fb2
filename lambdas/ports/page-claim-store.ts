import type { PageEnd } from '../core/page-job.js';

export type { PageEnd };

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
   * `ends` is what the first claimant recorded of the page's extent and its span's (see
   * recordEnds), `stored` whether its entries were all stored (see markStored).
   * The claim lives until `expiresAt` (the delivery's entries' expiry: no re-run can come later).
   */
  claim(page: PageId, leaseUntil: number, now: number, expiresAt: number): Promise<PageClaim>;
  /**
   * Records, once and before any job is queued from it, where the page ends and where each
   * further page of its span ends (a span job reads several: app/fanout-page.ts): each a last
   * key (the next page starts after it), or none for the audience's last page, which ends the
   * list. A later claimant reads those same extents (not a fresh Limit, which a changed audience
   * would shift), so the pages never gap nor overlap and each is queued with the same bounds
   * however often its span is retried. Returns the ends recorded (the first list wins whole).
   */
  recordEnds(page: PageId, ends: PageEnd[]): Promise<PageEnd[]>;
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

export type PageClaim = { result: 'first' | 'again' | 'busy' | 'done'; ends?: PageEnd[]; stored?: true };
