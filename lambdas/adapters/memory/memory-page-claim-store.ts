import { checkEnds } from '../../core/page-job.js';
import type { PageClaim, PageClaimStore, PageEnd, PageId } from '../../ports/page-claim-store.js';

const keyOf = (page: PageId) => `${page.messageId}\u0000${page.startKey}`;

interface Claim {
  leaseUntil: number;
  expiresAt: number;
  done: boolean;
  stored?: true;
  ends?: PageEnd[];
}

/** Page claims in a Map; the conditions are those of the DynamoDB store (dynamodb-page-claim-store.ts). */
export class MemoryPageClaimStore implements PageClaimStore {
  private readonly claims = new Map<string, Claim>();

  async claim(page: PageId, leaseUntil: number, now: number, expiresAt: number): Promise<PageClaim> {
    const claim = this.claims.get(keyOf(page));
    // An expired claim counts as absent, as in DynamoDB before its TTL deletion.
    if (claim === undefined || claim.expiresAt < now) {
      this.claims.set(keyOf(page), { leaseUntil, expiresAt, done: false });
      return { result: 'first' };
    }
    const end = { ...(claim.ends ? { ends: copy(claim.ends) } : {}), ...(claim.stored ? { stored: true as const } : {}) };
    if (claim.done) return { result: 'done', ...end };
    if (claim.leaseUntil >= now) return { result: 'busy', ...end };
    claim.leaseUntil = leaseUntil;
    return { result: 'again', ...end };
  }

  async recordEnds(page: PageId, ends: PageEnd[]): Promise<PageEnd[]> {
    checkEnds(ends);
    const claim = this.claims.get(keyOf(page));
    if (claim === undefined) throw new Error(`qosgate: page ${page.startKey} of ${page.messageId} has no claim to record its end in`);
    claim.ends ??= copy(ends);
    return copy(claim.ends);
  }

  async markStored(page: PageId): Promise<void> {
    const claim = this.claims.get(keyOf(page));
    if (claim === undefined) throw new Error(`qosgate: page ${page.startKey} of ${page.messageId} has no claim to mark stored`);
    claim.stored = true;
  }

  async finish(page: PageId): Promise<void> {
    const claim = this.claims.get(keyOf(page));
    if (claim) claim.done = true;
  }
}

const copy = (ends: PageEnd[]): PageEnd[] => ends.map((end) => ({ ...end }));
