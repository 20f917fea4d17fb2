import { beforeEach, describe, expect, it } from 'vitest';
import type { PageClaimStore } from '../../lambdas/ports/page-claim-store.js';

/** The page claim contract (ports/page-claim-store.ts), run on the memory and the DynamoDB adapter. */
const T0 = 4_000_000_000_000;
const LEASE = 30_000;
const EXPIRES = T0 + 86_400_000;
const PAGE = { messageId: 'm-1', startKey: '{"topicKey":"sensor|temp","sessionId":"s-007"}' };

export function describePageClaimContract(label: string, makeStore: () => Promise<PageClaimStore>): void {
  describe(`${label}: page claim contract`, () => {
    let claims: PageClaimStore;
    beforeEach(async () => {
      claims = await makeStore();
    });

    it('the first claim is first; another while the lease runs is busy; after finish every claim is done', async () => {
      expect(await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES)).toEqual({ result: 'first' });
      expect(await claims.claim(PAGE, T0 + 1 + LEASE, T0 + 1, EXPIRES)).toEqual({ result: 'busy' });
      await claims.finish(PAGE);
      expect(await claims.claim(PAGE, T0 + 2 * LEASE, T0 + LEASE + 1, EXPIRES)).toEqual({ result: 'done' });
    });

    it('a claim after the lease ran out unfinished is again, once: of two late claimants one wins', async () => {
      await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES);
      const late = T0 + LEASE + 1;
      const [a, b] = await Promise.all([claims.claim(PAGE, late + LEASE, late, EXPIRES), claims.claim(PAGE, late + LEASE, late, EXPIRES)]);
      expect([a?.result, b?.result].sort()).toEqual(['again', 'busy']);
      expect(await claims.claim(PAGE, late + 1 + LEASE, late + 1, EXPIRES)).toEqual({ result: 'busy' });
    });

    it('pages are told apart by delivery and start key', async () => {
      await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES);
      expect(await claims.claim({ ...PAGE, messageId: 'm-2' }, T0 + LEASE, T0, EXPIRES)).toEqual({ result: 'first' });
      expect(await claims.claim({ ...PAGE, startKey: `${PAGE.startKey}x` }, T0 + LEASE, T0, EXPIRES)).toEqual({ result: 'first' });
    });

    it('the first recorded ends win whole and every later claim carries them', async () => {
      await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES);
      expect(await claims.recordEnds(PAGE, [{ endKey: 'k-10' }])).toEqual([{ endKey: 'k-10' }]);
      expect(await claims.recordEnds(PAGE, [{ endKey: 'k-12' }, { endKey: 'k-20' }])).toEqual([{ endKey: 'k-10' }]);
      expect(await claims.recordEnds(PAGE, [{ last: true }])).toEqual([{ endKey: 'k-10' }]);
      expect(await claims.claim(PAGE, T0 + 1 + LEASE, T0 + 1, EXPIRES)).toEqual({ result: 'busy', ends: [{ endKey: 'k-10' }] });
      expect(await claims.claim(PAGE, T0 + 2 * LEASE, T0 + LEASE + 1, EXPIRES)).toEqual({ result: 'again', ends: [{ endKey: 'k-10' }] });
      await claims.finish(PAGE);
      expect(await claims.claim(PAGE, T0 + 3 * LEASE, T0 + 2 * LEASE + 1, EXPIRES)).toEqual({ result: 'done', ends: [{ endKey: 'k-10' }] });

      const last = { ...PAGE, startKey: 'k-10' };
      await claims.claim(last, T0 + LEASE, T0, EXPIRES);
      expect(await claims.recordEnds(last, [{ last: true }])).toEqual([{ last: true }]);
      expect(await claims.recordEnds(last, [{ endKey: 'k-20' }])).toEqual([{ last: true }]);
    });

    it('records a span\'s ends in their order, the audience\'s end last', async () => {
      const span = [{ endKey: 'k-10' }, { endKey: 'k-20' }, { endKey: 'k-30' }];
      await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES);
      expect(await claims.recordEnds(PAGE, span)).toEqual(span);
      expect(await claims.recordEnds(PAGE, [{ endKey: 'k-11' }, { last: true }])).toEqual(span);
      expect(await claims.claim(PAGE, T0 + 2 * LEASE, T0 + LEASE + 1, EXPIRES)).toEqual({ result: 'again', ends: span });

      const tail = { ...PAGE, startKey: 'k-30' };
      await claims.claim(tail, T0 + LEASE, T0, EXPIRES);
      expect(await claims.recordEnds(tail, [{ endKey: 'k-40' }, { last: true }])).toEqual([{ endKey: 'k-40' }, { last: true }]);
      expect(await claims.claim(tail, T0 + 2 * LEASE, T0 + LEASE + 1, EXPIRES)).toEqual({ result: 'again', ends: [{ endKey: 'k-40' }, { last: true }] });
    });

    it('refuses ends that are empty or end the audience before their last, saying so', async () => {
      await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES);
      await expect(claims.recordEnds(PAGE, [])).rejects.toThrow(/one or more end keys/);
      await expect(claims.recordEnds(PAGE, [{ last: true }, { endKey: 'k-10' }])).rejects.toThrow(/the audience's end only last/);
    });

    it('recording the end of a page nobody claimed, or marking it stored, is refused, saying so', async () => {
      await expect(claims.recordEnds(PAGE, [{ last: true }])).rejects.toThrow(/no claim/);
      await expect(claims.markStored(PAGE)).rejects.toThrow(/no claim/);
    });

    it('a page marked stored says so to every later claimant', async () => {
      await claims.claim(PAGE, T0 + LEASE, T0, EXPIRES);
      await claims.recordEnds(PAGE, [{ last: true }]);
      await claims.markStored(PAGE);
      expect(await claims.claim(PAGE, T0 + 2 * LEASE, T0 + LEASE + 1, EXPIRES)).toEqual({ result: 'again', ends: [{ last: true }], stored: true });
    });

    it('an expired claim counts as none: the next claim is first again', async () => {
      await claims.claim(PAGE, T0 + LEASE, T0, T0 + 1000);
      await claims.finish(PAGE);
      expect(await claims.claim(PAGE, T0 + 2000 + LEASE, T0 + 2000, EXPIRES)).toEqual({ result: 'first' });
    });
  });
}
