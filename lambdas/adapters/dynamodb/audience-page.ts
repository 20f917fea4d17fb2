import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Recipient } from '../../core/types.js';
import type { AudiencePage, AudiencePageRequest } from '../../ports/audience-page.js';
import { LIVE_FILTER, type Item } from './items.js';

/** Where an audience lives: one partition of a table, sorted by `sortKey`. */
export interface AudiencePartition {
  tableName: string;
  partitionKey: string;
  sortKey: string;
  /** The partition's key value (`ctrl#<controller>`, `<controller>|<topic>`). */
  partition: string;
}

/**
 * One page of an audience: a Query with Limit (items evaluated, before the live filter) from
 * ExclusiveStartKey and, with `endKey`, `sortKey <= endKey`; strongly consistent, as the
 * fan-out reads are. The page key is the LastEvaluatedKey as JSON, and only a key of this
 * same partition is taken back (a job's key is never read against another audience).
 */
export async function queryAudiencePage(
  doc: DynamoDBDocumentClient,
  where: AudiencePartition,
  now: number,
  page: AudiencePageRequest,
  toRecipient: (item: Item) => Recipient,
): Promise<AudiencePage> {
  const startKey = page.startKey === undefined ? undefined : decodeKey(page.startKey, where);
  const endKey = page.endKey === undefined ? undefined : decodeKey(page.endKey, where);
  const result = await doc.send(
    new QueryCommand({
      TableName: where.tableName,
      KeyConditionExpression: endKey === undefined ? '#pk = :pk' : '#pk = :pk AND #sk <= :end',
      FilterExpression: LIVE_FILTER,
      ExpressionAttributeNames: { '#pk': where.partitionKey, ...(endKey === undefined ? {} : { '#sk': where.sortKey }) },
      ExpressionAttributeValues: { ':pk': where.partition, ':now': now, ...(endKey === undefined ? {} : { ':end': endKey[where.sortKey] }) },
      ConsistentRead: true,
      Limit: page.limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  const next = result.LastEvaluatedKey;
  return {
    recipients: (result.Items ?? []).map(toRecipient),
    ...(next ? { next: JSON.stringify({ [where.partitionKey]: next[where.partitionKey], [where.sortKey]: next[where.sortKey] }) } : {}),
  };
}

/** A page key back to the DynamoDB key, refused unless it is a key of this partition. */
function decodeKey(text: string, where: AudiencePartition): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    key = undefined;
  }
  const record = key as Record<string, unknown> | undefined;
  if (record === null || typeof record !== 'object' || record[where.partitionKey] !== where.partition || typeof record[where.sortKey] !== 'string') {
    throw new Error(`qosgate: ${JSON.stringify(text)} is not a page key of ${where.partition} in ${where.tableName}`);
  }
  return { [where.partitionKey]: where.partition, [where.sortKey]: record[where.sortKey] as string };
}
