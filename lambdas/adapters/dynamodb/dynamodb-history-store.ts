import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HistoryRecord } from '../../core/types.js';
import type { HistoryPage, HistoryQuery, HistoryStore } from '../../ports/history-store.js';
import { batchWrite, type BatchOptions } from './batch.js';
import { compact, expiry, fromJson, isLive, LIVE_FILTER, toJson, type Item } from './items.js';
import { topicKey } from './schema.js';

/**
 * History in the `history` table (schema.ts): pk topicKey, sk msgKey = <receivedAt, 13 digits>#<messageId>,
 * so a topic's records sort by time and `page` is one Query backwards on the key range. Each
 * item is also what the table's stream hands the ingestion sink.
 */
export class DynamoDbHistoryStore implements HistoryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: { batch?: BatchOptions } = {},
  ) {}

  async append(records: HistoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    await batchWrite(this.doc, this.tableName, records.map((record) => ({ PutRequest: { Item: historyItem(record) } })), this.options.batch);
  }

  async page(controller: string, topic: string, query: HistoryQuery, now: number): Promise<HistoryPage> {
    // An empty range: DynamoDB refuses a BETWEEN whose bounds are reversed (ValidationException).
    if (query.since !== undefined && query.before !== undefined && query.since >= query.before) return { items: [], more: false };
    const low = query.since === undefined ? '0' : msgKeyPrefix(query.since);
    // Below `before`: every key of an earlier millisecond sorts under `<before>#`.
    const high = query.before === undefined ? '9999999999999~' : msgKeyPrefix(query.before);
    const items: HistoryRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    // One more than asked for tells whether there is more. Expired items the filter drops still
    // count against DynamoDB's Limit, hence the loop.
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'topicKey = :t AND msgKey BETWEEN :low AND :high',
          FilterExpression: LIVE_FILTER,
          ExpressionAttributeValues: { ':t': topicKey(controller, topic), ':low': low, ':high': high, ':now': now },
          ScanIndexForward: false,
          Limit: query.limit + 1 - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        // BETWEEN is inclusive: a key at exactly `<before>#` cannot exist (ids are not empty), but `<before>#...` can.
        if (query.before !== undefined && (item.receivedAt as number) >= query.before) continue;
        if (isLive(item, now)) items.push(fromItem(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length <= query.limit);
    return { items: items.slice(0, query.limit), more: items.length > query.limit };
  }
}

function msgKeyPrefix(ms: number): string {
  return String(ms).padStart(13, '0');
}

/** The item of a record: also the sink's input, through the stream's new image. */
export function historyItem(record: HistoryRecord): Item {
  return compact({
    topicKey: topicKey(record.controller, record.topic),
    msgKey: `${msgKeyPrefix(record.receivedAt)}#${record.messageId}`,
    ...record,
    data: toJson(record.data),
    ...expiry(record.expiresAt),
  });
}

/** A record from its item (a Query's, or a stream image unmarshalled). */
export function historyRecordOf(item: Item): HistoryRecord {
  return compact<HistoryRecord>({
    controller: item.controller,
    topic: item.topic,
    data: fromJson(item.data),
    qos: item.qos,
    clientId: item.clientId,
    receivedAt: item.receivedAt,
    messageId: item.messageId,
    expiresAt: item.expiresAtMs,
  });
}

const fromItem = historyRecordOf;
