import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboundRecord } from '../../core/types.js';
import type { InboundStore } from '../../ports/inbound-store.js';
import { batchWrite, type BatchOptions } from './batch.js';
import {
  compact,
  expiry,
  fromJson,
  isConditionalCheckFailed,
  isLive,
  itemOfFailedCondition,
  queryAll,
  toJson,
  type Item,
} from './items.js';

/**
 * Clients' QoS 2 publishes in the `inbound` table, keyed (sessionId, the client's id): the
 * record's fields, `data` as a JSON string, the TTL pair. Exactly-once rests on two
 * conditional writes: putIfAbsent (a repeated publish is not stored twice) and claim (two
 * pubrels racing do not both hand the message on).
 */
export class DynamoDbInboundStore implements InboundStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { batch?: BatchOptions } = {},
  ) {}

  async putIfAbsent(record: InboundRecord, now: number): Promise<{ result: 'stored' | 'exists'; record: InboundRecord }> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record),
          // An expired record that storage has not deleted yet counts as absent.
          ConditionExpression: 'attribute_not_exists(sessionId) OR expiresAtMs < :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { result: 'stored', record: fromItem(toItem(record)) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The record that blocked the write, read atomically with the failure.
      const original = itemOfFailedCondition(error);
      if (original === undefined) throw new Error('qosgate: DynamoDB did not return the item that failed the condition');
      return { result: 'exists', record: fromItem(original) };
    }
  }

  async claim(
    sessionId: string,
    id: string,
    releasingUntil: number,
    now: number,
  ): Promise<{ result: 'claimed'; record: InboundRecord } | { result: 'busy' | 'missing' }> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sessionId, id },
          UpdateExpression: 'SET releasingUntil = :until ADD releases :one',
          ConditionExpression:
            'attribute_exists(sessionId) AND expiresAtMs >= :now AND (attribute_not_exists(releasingUntil) OR releasingUntil < :now)',
          ExpressionAttributeValues: { ':until': releasingUntil, ':now': now, ':one': 1 },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { result: 'claimed', record: fromItem(out.Attributes as Item) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = itemOfFailedCondition(error);
      return { result: current !== undefined && isLive(current, now) ? 'busy' : 'missing' };
    }
  }

  async delete(sessionId: string, id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { sessionId, id } }));
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    const keys = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'sessionId = :s',
      ProjectionExpression: 'sessionId, id',
      ExpressionAttributeValues: { ':s': sessionId },
      ConsistentRead: true,
    });
    const requests = keys.map((key) => ({ DeleteRequest: { Key: { sessionId: key.sessionId, id: key.id } } }));
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async deleteOfConnection(sessionId: string, connectionId: string, _now: number): Promise<void> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'sessionId = :s',
      FilterExpression: 'connectionId = :c',
      ProjectionExpression: 'sessionId, id',
      ExpressionAttributeValues: { ':s': sessionId, ':c': connectionId },
      ConsistentRead: true,
    });
    for (const key of items) {
      try {
        // Conditional: a record of the same id that a newer connection stored since stays.
        await this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { sessionId: key.sessionId, id: key.id },
            ConditionExpression: 'connectionId = :c',
            ExpressionAttributeValues: { ':c': connectionId },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
  }
}

function toItem(record: InboundRecord): Item {
  // A batch's messages as one JSON string, as `data` is: the item stays a flat record, each
  // message's data kept exactly (PROTOCOL §2: the 32 KB frame keeps it far under 400 KB).
  const messages = record.messages !== undefined ? { messages: toJson(record.messages) } : {};
  return compact({ ...record, data: toJson(record.data), ...messages, ...expiry(record.expiresAt) });
}

function fromItem(item: Item): InboundRecord {
  return compact<InboundRecord>({
    sessionId: item.sessionId,
    id: item.id,
    controller: item.controller,
    topic: item.topic,
    data: fromJson(item.data),
    retain: item.retain,
    messageId: item.messageId,
    receivedAt: item.receivedAt,
    messageExpiresAt: item.messageExpiresAt,
    messages: item.messages !== undefined ? (fromJson(item.messages) as InboundRecord['messages']) : undefined,
    releasingUntil: item.releasingUntil,
    releases: item.releases,
    expiresAt: item.expiresAtMs,
  });
}
