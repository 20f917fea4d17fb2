import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Recipient, Subscription } from '../../core/types.js';
import type { SubscriptionHit, SubscriptionStore } from '../../ports/subscription-store.js';
import { isFilter } from '../../core/topic-filter.js';
import { FilterIndex } from './filter-index.js';
import type { AudiencePage, AudiencePageRequest } from '../../ports/audience-page.js';
import { queryAudiencePage } from './audience-page.js';
import { batchGet, batchWrite, runLimited, type BatchOptions } from './batch.js';
import { compact, expiry, isLive, LIVE_FILTER, queryAll, queryPages, unlessChanged, type Item } from './items.js';
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
 * a persistent session that is away.
 *
 * Each session also has one list item, pk `session#<sessionId>` (never a topic key: names
 * cannot hold `#`), sk sessionId, with the string set `topicKeys` of its subscriptions. What a
 * takeover or a cleanup needs (ofSession, attach, detach, deleteOfConnection) is read from it
 * and the subscriptions themselves by strongly consistent reads of the base table: the
 * bySession index is eventually consistent, and could miss a subscription made just before.
 * The set only grows before a subscription is written and shrinks after one is deleted, so it
 * never misses one; a key it lists that has no subscription is skipped. deleteSession also
 * reads the index, to catch anything older than the list.
 */
export class DynamoDbSubscriptionStore implements SubscriptionStore {
  private readonly filters: FilterIndex;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbSubscriptionStoreOptions = {},
  ) {
    this.filters = new FilterIndex(doc, tableName);
  }

  async put(subscription: Subscription): Promise<void> {
    const key = topicKey(subscription.controller, subscription.topic);
    const ttl = expiry(subscription.expiresAt);
    await this.remember(subscription.sessionId, key, subscription.expiresAt);
    const item = compact({ ...subscription, topicKey: key, ...ttl });
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
    // After the subscription, not before: filter-index.ts says why that order is race-free.
    if (isFilter(subscription.topic)) await this.filters.touch(subscription.controller, subscription.topic, subscription.expiresAt);
  }

  async delete(controller: string, topic: string, sessionId: string): Promise<void> {
    const key = topicKey(controller, topic);
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { topicKey: key, sessionId } }));
    await this.forget(sessionId, [key]);
    if (isFilter(topic)) await this.filters.dropIfUnused(controller, topic);
  }

  async filtersMatching(controller: string, topic: string, _now: number): Promise<string[]> {
    return this.filters.matching(controller, topic);
  }

  async subscriptionsAmong(controller: string, topics: string[], sessionIds: string[], now: number): Promise<SubscriptionHit[]> {
    const keys = [...new Set(topics)].flatMap((topic) => [...new Set(sessionIds)].map((sessionId) => ({ topicKey: topicKey(controller, topic), sessionId })));
    if (keys.length === 0) return [];
    const items = await batchGet(this.doc, this.tableName, keys, {
      ...this.options.batch,
      consistentRead: true,
      attributes: ['topic', 'sessionId', 'subscriptionQos', 'expiresAtMs'],
    });
    return items.filter((item) => isLive(item, now)).map((item) => ({ topic: item.topic, sessionId: item.sessionId, subscriptionQos: item.subscriptionQos }));
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

  async subscriberPage(controller: string, topic: string, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
    const where = { tableName: this.tableName, partitionKey: 'topicKey', sortKey: 'sessionId', partition: topicKey(controller, topic) };
    return queryAudiencePage(this.doc, where, now, page, recipientFromItem);
  }

  async ofSession(sessionId: string, now: number): Promise<Subscription[]> {
    return (await this.itemsOfSession(sessionId)).filter((item) => isLive(item, now)).map(subscriptionFromItem);
  }

  async attach(sessionId: string, connectionId: string | undefined, expiresAt: number, now: number): Promise<void> {
    const update =
      connectionId === undefined
        ? 'REMOVE connectionId SET expiresAt = :ttl, expiresAtMs = :ms'
        : 'SET connectionId = :c, expiresAt = :ttl, expiresAtMs = :ms';
    await this.extendList(sessionId, expiresAt);
    // An unsubscribe since the read must not be undone by this update.
    await this.updateEach(await this.ofSession(sessionId, now), update, 'attribute_exists(topicKey)', expiresAt, connectionId === undefined ? {} : { ':c': connectionId });
  }

  async detach(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void> {
    const theirs = (await this.ofSession(sessionId, now)).filter((subscription) => subscription.connectionId === connectionId);
    if (theirs.length === 0) return;
    await this.extendList(sessionId, expiresAt);
    // Conditional on the connection: a takeover that re-pointed it since the read keeps it (issue 12 C).
    await this.updateEach(theirs, 'REMOVE connectionId SET expiresAt = :ttl, expiresAtMs = :ms', 'connectionId = :c', expiresAt, { ':c': connectionId });
  }

  async repoint(
    sessionId: string,
    from: string,
    to: Pick<Subscription, 'connectionId' | 'claimedQos' | 'format'>,
    expiresAt: number,
    now: number,
  ): Promise<void> {
    const theirs = (await this.ofSession(sessionId, now)).filter((subscription) => subscription.connectionId === from);
    if (theirs.length === 0) return;
    await this.extendList(sessionId, expiresAt);
    const claim = 'claimedQos = :q, #format = :f, expiresAt = :ttl, expiresAtMs = :ms';
    const update = to.connectionId === undefined ? `REMOVE connectionId SET ${claim}` : `SET connectionId = :to, ${claim}`;
    const values = { ':c': from, ':q': to.claimedQos, ':f': to.format, ...(to.connectionId === undefined ? {} : { ':to': to.connectionId }) };
    await this.updateEach(theirs, update, 'connectionId = :c', expiresAt, values, { '#format': 'format' });
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    // Expired subscriptions go too: nothing of the session should outlive it. The index finds
    // anything the list does not know, the list what the index has not caught up with yet;
    // the index also holds the list item itself (its sk is the sessionId), and so does `keys`.
    const [indexed, listed] = await Promise.all([
      queryAll(this.doc, {
        TableName: this.tableName,
        IndexName: 'bySession',
        KeyConditionExpression: 'sessionId = :s',
        ProjectionExpression: 'topicKey, sessionId',
        ExpressionAttributeValues: { ':s': sessionId },
      }),
      this.listedKeys(sessionId),
    ]);
    const keys = new Set([...indexed.map((item) => item.topicKey as string), ...listed, listKey(sessionId).topicKey]);
    const requests = [...keys].map((key) => ({ DeleteRequest: { Key: { topicKey: key, sessionId } } }));
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async deleteOfConnection(sessionId: string, connectionId: string, _now: number): Promise<void> {
    // Expired ones of the connection go too, as in deleteSession; each delete is conditional,
    // so a subscription a newer connection of the clientId made since the read stays.
    const theirs = (await this.itemsOfSession(sessionId)).filter((item) => item.connectionId === connectionId);
    const deleted: string[] = [];
    await runLimited(theirs, ATTACH_CONCURRENCY, async (item) => {
      const done = await unlessChanged(() =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { topicKey: item.topicKey, sessionId },
            ConditionExpression: 'connectionId = :c',
            ExpressionAttributeValues: { ':c': connectionId },
          }),
        ),
      );
      if (done) deleted.push(item.topicKey as string);
    });
    await this.forget(sessionId, deleted);
  }

  async markSession(sessionId: string, backlogged: boolean, now: number): Promise<void> {
    const differ = (await this.ofSession(sessionId, now)).filter((subscription) => (subscription.backlogged === true) !== backlogged);
    await runLimited(differ, ATTACH_CONCURRENCY, async (subscription) => {
      await unlessChanged(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { topicKey: topicKey(subscription.controller, subscription.topic), sessionId },
            UpdateExpression: backlogged ? 'SET backlogged = :t' : 'REMOVE backlogged',
            // An unsubscribe since the read must not be undone by this update.
            ConditionExpression: 'attribute_exists(topicKey)',
            ...(backlogged ? { ExpressionAttributeValues: { ':t': true } } : {}),
          }),
        ),
      );
    });
  }

  /** The session's subscription items (expired ones too), by consistent reads of the base table, in topic-key order. */
  private async itemsOfSession(sessionId: string): Promise<Item[]> {
    const keys = await this.listedKeys(sessionId);
    const items = await batchGet(
      this.doc,
      this.tableName,
      keys.map((key) => ({ topicKey: key, sessionId })),
      { ...this.options.batch, consistentRead: true },
    );
    return items.sort((a, b) => (a.topicKey < b.topicKey ? -1 : a.topicKey > b.topicKey ? 1 : 0));
  }

  /** The topic keys in the session's list item (strongly consistent). */
  private async listedKeys(sessionId: string): Promise<string[]> {
    const { Item: list } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: listKey(sessionId), ConsistentRead: true }));
    const keys = list?.topicKeys as Set<string> | undefined;
    return keys ? [...keys] : [];
  }

  /**
   * Adds a topic key to the session's list, before its subscription is written. A session's
   * subscriptions all get their lifetime from the same formula and `now`, so the latest put's
   * expiry is the furthest; attach and detach only ever extend it (extendList). Each write is
   * conditional (no update creates an item unawares): update the list if it exists, else
   * create it, else (created meanwhile) update it.
   */
  private async remember(sessionId: string, key: string, expiresAt: number): Promise<void> {
    const ttl = expiry(expiresAt);
    const add = () =>
      unlessChanged(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: listKey(sessionId),
            UpdateExpression: 'ADD topicKeys :tk SET expiresAt = :ttl, expiresAtMs = :ms',
            ConditionExpression: 'attribute_exists(topicKey)',
            ExpressionAttributeValues: { ':tk': new Set([key]), ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs },
          }),
        ),
      );
    if (await add()) return;
    const created = await unlessChanged(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...listKey(sessionId), topicKeys: new Set([key]), ...ttl },
          ConditionExpression: 'attribute_not_exists(topicKey)',
        }),
      ),
    );
    if (!created && !(await add())) throw new Error(`qosgate: could not record the subscription ${key} of session ${sessionId}`);
  }

  /** Takes topic keys out of the session's list, after their subscriptions were deleted. */
  private async forget(sessionId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await unlessChanged(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: listKey(sessionId),
          UpdateExpression: 'DELETE topicKeys :tk',
          // No list, nothing to take out (and no empty item created).
          ConditionExpression: 'attribute_exists(topicKey)',
          ExpressionAttributeValues: { ':tk': new Set(keys) },
        }),
      ),
    );
  }

  /** The list must live as long as the longest-lived of its subscriptions: only ever extended. */
  private async extendList(sessionId: string, expiresAt: number): Promise<void> {
    const ttl = expiry(expiresAt);
    await unlessChanged(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: listKey(sessionId),
          UpdateExpression: 'SET expiresAt = :ttl, expiresAtMs = :ms',
          ConditionExpression: 'attribute_exists(topicKey) AND expiresAtMs < :ms',
          ExpressionAttributeValues: { ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs },
        }),
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
    names?: Record<string, string>,
  ): Promise<void> {
    const ttl = expiry(expiresAt);
    await runLimited(subscriptions, ATTACH_CONCURRENCY, async (subscription) => {
      // A filter's index item must outlive the subscription's new expiry (filter-index.ts).
      if (isFilter(subscription.topic)) await this.filters.touch(subscription.controller, subscription.topic, expiresAt);
      await unlessChanged(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { topicKey: topicKey(subscription.controller, subscription.topic), sessionId: subscription.sessionId },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeValues: { ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs, ...values },
            ...(names ? { ExpressionAttributeNames: names } : {}),
          }),
        ),
      );
    });
  }
}

/** The session's list item: `session#` cannot begin a topic key (names cannot hold `#`, PROTOCOL §7). */
function listKey(sessionId: string): { topicKey: string; sessionId: string } {
  return { topicKey: `session#${sessionId}`, sessionId };
}

function recipientFromItem(item: Item): Recipient {
  return compact<Recipient>({
    sessionId: item.sessionId,
    connectionId: item.connectionId,
    sessionKind: item.sessionKind,
    claimedQos: item.claimedQos,
    format: item.format,
    subscriptionQos: item.subscriptionQos,
    backlogged: item.backlogged === true ? true : undefined,
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
