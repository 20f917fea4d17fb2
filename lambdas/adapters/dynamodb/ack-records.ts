import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { expiry, isLive, type Item } from './items.js';

/**
 * Ack records (`firstSends: marker`, docs/architecture.md "Sparse first sends"): what a msgack
 * of QoS 1 ids leaves behind instead of a delete per id, so that a first send stored only in
 * its due marker can be told acked when the marker falls due.
 *
 *   pending item: sessionId = acks#<sessionId>, id = <ack time, 15 digits>#<8 hex>,
 *                 ids (list of the frame's QoS 1 ids), TTL pair
 *
 * One record per msgack frame: 1 write unit per ~40 ids of 25 bytes. The marker's promotion
 * reads the session's records written since its delivery was created (one Query), so a record
 * only has to outlive the markers that may list its ids; it lives as long as a message may
 * (the default TTL), which also covers a sweep that fell hours behind. Past that, a marker
 * finds no record and its entry is resent once: a duplicate, as QoS 1 allows.
 */

/** Ack record partitions begin so; a sessionId never contains `#`, so no session's partition does. */
export const ACK_PREFIX = 'acks#';

/** How long a record is kept: the default message TTL and an hour. */
const ACK_RECORD_TTL_MS = 25 * 60 * 60 * 1000;

/**
 * How much earlier than a delivery's createdAt an ack of it may be stamped: the ack's time is
 * another function's clock. Reading a minute more of records costs little.
 */
const CLOCK_SKEW_MS = 60_000;

export class AckRecords {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The record of one msgack frame's QoS 1 ids, for a BatchWriteItem. */
  item(sessionId: string, ids: string[], now: number): Item {
    return {
      sessionId: `${ACK_PREFIX}${sessionId}`,
      id: `${String(now).padStart(15, '0')}#${randomBytes(4).toString('hex')}`,
      ids,
      ...expiry(now + ACK_RECORD_TTL_MS),
    };
  }

  /**
   * The ids the session acknowledged at or after `since` (less the clock skew): one Query,
   * eventually consistent. What it decides is a promotion, which at worst sends once more.
   */
  async ackedSince(sessionId: string, since: number, now: number): Promise<Set<string>> {
    const acked = new Set<string>();
    let startKey: Item | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'sessionId = :s AND id >= :since',
          ExpressionAttributeValues: { ':s': `${ACK_PREFIX}${sessionId}`, ':since': String(Math.max(0, since - CLOCK_SKEW_MS)).padStart(15, '0') },
          ConsistentRead: false,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (isLive(item, now)) for (const id of item.ids as string[]) acked.add(id);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return acked;
  }
}
