import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RetainedMessage } from '../../core/types.js';
import type { RetainedStore } from '../../ports/retained-store.js';
import { anchorOf, matches } from '../../core/topic-filter.js';
import { compact, expiry, fromJson, isLive, LIVE_FILTER, queryAll, toJson, type Item } from './items.js';
import { topicKey } from './schema.js';

/**
 * Retained values in the `retained` table: pk topicKey, `data` as a JSON string, the TTL pair
 * (never later than `messageExpiresAt`, the message's end where it has one: PROTOCOL §4).
 */
export class DynamoDbRetainedStore implements RetainedStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(message: RetainedMessage): Promise<void> {
    const item = compact({
      ...message,
      topicKey: topicKey(message.controller, message.topic),
      data: toJson(message.data),
      ...expiry(message.expiresAt),
    });
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async clear(controller: string, topic: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { topicKey: topicKey(controller, topic) } }));
  }

  async get(controller: string, topic: string, now: number): Promise<RetainedMessage | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { topicKey: topicKey(controller, topic) }, ConsistentRead: true }),
    );
    return item && isLive(item, now) ? fromItem(item) : undefined;
  }

  async matching(controller: string, filter: string, now: number): Promise<RetainedMessage[]> {
    const anchor = anchorOf(filter);
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'byController',
      KeyConditionExpression: anchor === '' ? 'controller = :c' : 'controller = :c AND begins_with(topic, :a)',
      FilterExpression: LIVE_FILTER,
      ExpressionAttributeValues: { ':c': controller, ':now': now, ...(anchor === '' ? {} : { ':a': anchor }) },
    });
    // begins_with is a string prefix (`site-1` finds `site-10/x` too): the match is done here.
    return items.filter((item) => matches(filter, item.topic as string)).map(fromItem);
  }
}

function fromItem(item: Item): RetainedMessage {
  return compact<RetainedMessage>({
    controller: item.controller,
    topic: item.topic,
    data: fromJson(item.data),
    qos: item.qos,
    publishedAt: item.publishedAt,
    messageExpiresAt: item.messageExpiresAt,
    expiresAt: item.expiresAtMs,
  });
}
