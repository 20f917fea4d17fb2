import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Recipient, Subscription } from '../../core/types.js';
import type { SubscriptionStore } from '../../ports/subscription-store.js';
import { batchWrite, runLimited, type BatchOptions } from './batch.js';
import { compact, expiry, isConditionalCheckFailed, LIVE_FILTER, queryAll, queryPages, type Item } from './items.js';
import { topicKey } from './schema.js';

export interface DynamoDbSubscriptionStoreOptions {
  /** Most subscriptions per Query page (default: DynamoDB's 1 MB page). */
  pageSize?: number;
  batch?: BatchOptions;
}

/** Updates in flight at once when a session's subscriptions are re-pointed. */
const ATTACH_CONCURRENCY = 8;

/**
 * Subscriptions in the `subscriptions` table: pk topicKey (`<controller>|<topic>`), sk sessionId,
 * the subscription's fields and the TTL pair. A subscription without `connectionId` belongs to
 * a persistent session that is away. The bySession index (projection ALL) serves the
 * per-session operations; it is eventually consistent, as every GSI.
 */
export class DynamoDbSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbSubscriptionStoreOptions = {},
  ) {}

  async put(subscription: Subscription): Promise<void> {
    const item = compact({
      ...subscription,
      topicKey: topicKey(subscription.controller, subscription.topic),
      ...expiry(subscription.expiresAt),
    });
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async delete(controller: string, topic: string, sessionId: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { topicKey: topicKey(controller, topic), sessionId } }));
  }

  async *subscribersOf(controller: string, topic: string, now: number): AsyncIterable<Recipient[]> {
    const pages = queryPages(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'topicKey = :tk',
      FilterExpression: LIVE_FILTER,
      ExpressionAttributeValues: { ':tk': topicKey(controller, topic), ':now': now },
      ConsistentRead: true,
      ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
    });
    for await (const items of pages) {
      if (items.length > 0) yield items.map(recipientFromItem);
    }
  }

  async ofSession(sessionId: string, now: number): Promise<Subscription[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'bySession',
      KeyConditionExpression: 'sessionId = :s',
      FilterExpression: LIVE_FILTER,
      ExpressionAttributeValues: { ':s': sessionId, ':now': now },
    });
    return items.map(subscriptionFromItem);
  }

  async attach(sessionId: string, connectionId: string | undefined, expiresAt: number, now: number): Promise<void> {
    const update =
      connectionId === undefined
        ? 'REMOVE connectionId SET expiresAt = :ttl, expiresAtMs = :ms'
        : 'SET connectionId = :c, expiresAt = :ttl, expiresAtMs = :ms';
    // An unsubscribe since the index was read must not be undone by this update.
    await this.updateEach(await this.ofSession(sessionId, now), update, 'attribute_exists(topicKey)', expiresAt, connectionId === undefined ? {} : { ':c': connectionId });
  }

  async detach(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void> {
    const theirs = (await this.ofSession(sessionId, now)).filter((subscription) => subscription.connectionId === connectionId);
    // Conditional on the connection: a takeover that re-pointed it since the read keeps it (issue 12 C).
    await this.updateEach(theirs, 'REMOVE connectionId SET expiresAt = :ttl, expiresAtMs = :ms', 'connectionId = :c', expiresAt, { ':c': connectionId });
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    // Expired subscriptions go too: nothing of the session should outlive it.
    const keys = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'bySession',
      KeyConditionExpression: 'sessionId = :s',
      ProjectionExpression: 'topicKey, sessionId',
      ExpressionAttributeValues: { ':s': sessionId },
    });
    const requests = keys.map((key) => ({ DeleteRequest: { Key: { topicKey: key.topicKey, sessionId: key.sessionId } } }));
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async deleteOfConnection(sessionId: string, connectionId: string, _now: number): Promise<void> {
    // Expired ones go too, as in deleteSession; each delete is conditional, so a subscription a
    // newer connection of the clientId made since the read stays.
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'bySession',
      KeyConditionExpression: 'sessionId = :s',
      ProjectionExpression: 'topicKey, sessionId, connectionId',
      ExpressionAttributeValues: { ':s': sessionId },
    });
    const theirs = items.filter((item) => item.connectionId === connectionId);
    await runLimited(theirs, ATTACH_CONCURRENCY, (item) =>
      unlessChanged(() =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { topicKey: item.topicKey, sessionId },
            ConditionExpression: 'connectionId = :c',
            ExpressionAttributeValues: { ':c': connectionId },
          }),
        ),
      ),
    );
  }

  /** One conditional UpdateItem per subscription, a few at a time; a failed condition skips it. */
  private async updateEach(
    subscriptions: Subscription[],
    update: string,
    condition: string,
    expiresAt: number,
    values: Item,
  ): Promise<void> {
    const ttl = expiry(expiresAt);
    await runLimited(subscriptions, ATTACH_CONCURRENCY, (subscription) =>
      unlessChanged(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { topicKey: topicKey(subscription.controller, subscription.topic), sessionId: subscription.sessionId },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeValues: { ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs, ...values },
          }),
        ),
      ),
    );
  }
}

/** Whether a conditional write happened: a failed condition means someone else's write stands. */
async function unlessChanged(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

function recipientFromItem(item: Item): Recipient {
  return compact<Recipient>({
    sessionId: item.sessionId,
    connectionId: item.connectionId,
    sessionKind: item.sessionKind,
    claimedQos: item.claimedQos,
    format: item.format,
    subscriptionQos: item.subscriptionQos,
  });
}

function subscriptionFromItem(item: Item): Subscription {
  return compact<Subscription>({
    ...(recipientFromItem(item) as Recipient & { subscriptionQos: Subscription['subscriptionQos'] }),
    controller: item.controller,
    topic: item.topic,
    expiresAt: item.expiresAtMs,
  });
}
