import type { PageClaim, PageClaimStore, PageEnd } from '../../ports/page-claim-store.js';

interface Claim {
  leaseUntil: number;
  expiresAt: number;
  done: boolean;
  end?: PageEnd;
}

/** Page claims in a Map; the conditions are those of the DynamoDB store (dynamodb-page-claim-store.ts). */
export class MemoryPageClaimStore implements PageClaimStore {
  private readonly claims = new Map<string, Claim>();

  async claim(pageId: string, leaseUntil: number, now: number, expiresAt: number): Promise<PageClaim> {
    const claim = this.claims.get(pageId);
    // An expired claim counts as absent, as in DynamoDB before its TTL deletion.
    if (claim === undefined || claim.expiresAt < now) {
      this.claims.set(pageId, { leaseUntil, expiresAt, done: false });
      return { result: 'first' };
    }
    const end = claim.end ? { end: { ...claim.end } } : {};
    if (claim.done) return { result: 'done', ...end };
    if (claim.leaseUntil >= now) return { result: 'busy', ...end };
    claim.leaseUntil = leaseUntil;
    return { result: 'again', ...end };
  }

  async recordEnd(pageId: string, end: PageEnd): Promise<PageEnd> {
    const claim = this.claims.get(pageId);
    if (claim === undefined) throw new Error(`qosgate: page ${pageId} has no claim to record its end in`);
    claim.end ??= { ...end };
    return { ...claim.end };
  }

  async finish(pageId: string): Promise<void> {
    const claim = this.claims.get(pageId);
    if (claim) claim.done = true;
  }
}
