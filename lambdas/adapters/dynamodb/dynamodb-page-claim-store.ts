import { createHash } from 'node:crypto';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkEnds } from '../../core/page-job.js';
import type { PageClaim, PageClaimStore, PageEnd, PageId } from '../../ports/page-claim-store.js';
import { expiry, isConditionalCheckFailed, itemOfFailedCondition, type Item } from './items.js';

/**
 * Page claims in the `inbound` table, beside the QoS 2 records whose claim they mirror
 * (InboundStore.claim's `releasingUntil`): pk `sessionId` = `page#<messageId>` (session ids never
 * contain `#`, so no client's records share the partition), sk `id` = the SHA-256 of the page's
 * start key (a start key may be longer than a sort key may be), attributes `leaseUntil`,
 * `endKeys` and `last` (the extents of the page and the rest of its span, recorded once; a claim
 * written before spans has one `endKey`), `stored`, `done`, and the TTL pair: the delivery's
 * entries' expiry, after which no re-run of the page can come.
 *
 * A claim is two conditional writes at most: a PutItem that only creates (first), and, when
 * that fails on a claim whose lease ran out, an UpdateItem conditional on the lease it saw.
 */
export class DynamoDbPageClaimStore implements PageClaimStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(page: PageId, leaseUntil: number, now: number, expiresAt: number): Promise<PageClaim> {
    const key = keyOf(page);
    let seen: Item | undefined;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, leaseUntil, ...expiry(expiresAt) },
          // An expired claim that storage has not deleted yet counts as absent.
          ConditionExpression: 'attribute_not_exists(sessionId) OR expiresAtMs < :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { result: 'first' };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      seen = itemOfFailedCondition(error);
    }
    if (seen === undefined) throw new Error('qosgate: DynamoDB did not return the page claim that failed the condition');
    const ends = endsOf(seen);
    const withEnd = { ...(ends ? { ends } : {}), ...(seen.stored === true ? { stored: true as const } : {}) };
    if (seen.done === true) return { result: 'done', ...withEnd };
    if ((seen.leaseUntil as number) >= now) return { result: 'busy', ...withEnd };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET leaseUntil = :lease',
          // Only over the lease that ran out: of two late claimants, one wins.
          ConditionExpression: 'leaseUntil = :seen AND attribute_not_exists(done)',
          ExpressionAttributeValues: { ':lease': leaseUntil, ':seen': seen.leaseUntil },
        }),
      );
      return { result: 'again', ...withEnd };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { result: 'busy', ...withEnd };
    }
  }

  async recordEnds(page: PageId, ends: PageEnd[]): Promise<PageEnd[]> {
    checkEnds(ends);
    const endKeys = ends.flatMap((end) => ('endKey' in end ? [end.endKey] : []));
    const last = ends.length > endKeys.length;
    const sets = [...(endKeys.length > 0 ? ['endKeys = :keys'] : []), ...(last ? ['#last = :true'] : [])];
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(page),
          UpdateExpression: `SET ${sets.join(', ')}`,
          // The first list wins whole; `endKey` is a claim's from before spans.
          ConditionExpression: 'attribute_exists(sessionId) AND attribute_not_exists(endKeys) AND attribute_not_exists(endKey) AND attribute_not_exists(#last)',
          ExpressionAttributeNames: { '#last': 'last' },
          ExpressionAttributeValues: { ...(endKeys.length > 0 ? { ':keys': endKeys } : {}), ...(last ? { ':true': true } : {}) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return ends;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const recorded = endsOf(itemOfFailedCondition(error));
      if (recorded === undefined) throw new Error(`qosgate: page ${page.startKey} of ${page.messageId} has no claim to record its end in`);
      return recorded;
    }
  }

  async markStored(page: PageId): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(page),
          // STORED is one of DynamoDB's reserved words.
          UpdateExpression: 'SET #stored = :true',
          ConditionExpression: 'attribute_exists(sessionId)',
          ExpressionAttributeNames: { '#stored': 'stored' },
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      throw new Error(`qosgate: page ${page.startKey} of ${page.messageId} has no claim to mark stored`);
    }
  }

  async finish(page: PageId): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(page),
          UpdateExpression: 'SET done = :true',
          ConditionExpression: 'attribute_exists(sessionId)',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    } catch (error) {
      // No claim (expired and deleted): nothing to finish.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

/** The claim's key in the inbound table. */
function keyOf(page: PageId): { sessionId: string; id: string } {
  return { sessionId: `page#${page.messageId}`, id: createHash('sha256').update(page.startKey).digest('hex') };
}

function endsOf(item: Item | undefined): PageEnd[] | undefined {
  if (item === undefined) return undefined;
  const keys = Array.isArray(item.endKeys) ? (item.endKeys as string[]) : typeof item.endKey === 'string' ? [item.endKey] : [];
  const ends: PageEnd[] = [...keys.map((endKey) => ({ endKey })), ...(item.last === true ? [{ last: true as const }] : [])];
  return ends.length > 0 ? ends : undefined;
}
