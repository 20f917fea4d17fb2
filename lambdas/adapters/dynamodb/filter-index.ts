import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { anchorOf, anchorsOf, matches } from '../../core/topic-filter.js';
import { batchGet, runLimited } from './batch.js';
import { expiry, isConditionalCheckFailed, queryAll, unlessChanged } from './items.js';
import { topicKey } from './schema.js';

/** Index partitions read at once by one publish. */
const ANCHOR_CONCURRENCY = 8;

/**
 * The filter index in the subscriptions table (docs/architecture.md "Topic filters"): one item
 * per (controller, anchor, filter),
 *
 *   pk = <controller>|#idx/<anchor>   sk = <filter>   version (a counter), TTL pair
 *   pk = <controller>|#idx/<anchor>   sk = *          the anchor's marker: it has filters (TTL pair)
 *
 * `#idx/...` can never be a subscription's topic (PROTOCOL §8: `#` is a whole, last level), so
 * the index never shares a partition with subscribers; `*` is no filter (not in the names'
 * alphabet). A publish to T reads the markers of every anchor of T (core/topic-filter.ts
 * anchorsOf) in ONE BatchGetItem, then Queries only the anchors that have one and matches
 * their filters in memory: a publish where no filter is stored costs one request more than
 * before filters, whatever T's depth; with filters, the cost grows with the anchors of T that
 * hold filters and the filters there, never with the controller's subscriptions. A marker
 * lives as long as the longest-lived filter at its anchor (touch extends both) and is left to
 * TTL: a stale one costs one empty Query per publish until it expires.
 *
 * Races between a subscribe and the last unsubscribe (see {@link dropIfUnused}): the subscribe
 * writes its subscription, THEN touches the index (bumping `version`); the unsubscribe reads
 * the version, THEN looks for a subscriber, and deletes only if the version is unchanged.
 * Either the touch came after the version read (the delete's condition fails), or the
 * subscription was written before the look (the look finds it): the index never loses a
 * filter that has a subscriber.
 */
export class FilterIndex {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Creates the filter's index item, or bumps its version; its TTL only ever grows, to no less
   * than `expiresAt` (the subscription's), so it outlives its longest-lived subscriber.
   */
  async touch(controller: string, filter: string, expiresAt: number): Promise<void> {
    const ttl = expiry(expiresAt);
    const key = indexKey(controller, filter);
    // The anchor's marker: created or extended; one that lives longer already stays as it is.
    await unlessChanged(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { topicKey: key.topicKey, sessionId: MARKER },
          UpdateExpression: 'SET controller = :c, expiresAt = :ttl, expiresAtMs = :ms',
          ConditionExpression: 'attribute_not_exists(topicKey) OR expiresAtMs < :ms',
          ExpressionAttributeValues: { ':c': controller, ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs },
        }),
      ),
    );
    // Create or extend; else (it lives longer already) only bump the version; else (deleted in
    // between) start over. Every write is conditional: none creates an item unawares.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const extended = await unlessChanged(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'ADD version :one SET controller = :c, expiresAt = :ttl, expiresAtMs = :ms',
            ConditionExpression: 'attribute_not_exists(topicKey) OR expiresAtMs < :ms',
            ExpressionAttributeValues: { ':one': 1, ':c': controller, ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs },
          }),
        ),
      );
      if (extended) return;
      const bumped = await unlessChanged(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'ADD version :one',
            ConditionExpression: 'attribute_exists(topicKey)',
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      );
      if (bumped) return;
    }
    throw new Error(`qosgate: could not index the filter ${filter} of ${controller}`);
  }

  /** Takes the filter out of the index if nobody subscribes to it any more (see the class comment). */
  async dropIfUnused(controller: string, filter: string): Promise<void> {
    const key = indexKey(controller, filter);
    const { Item: item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (item === undefined) return;
    // Any item, expired ones too: an expired subscriber keeps the index until TTL, which is harmless.
    const { Items: anyone } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'topicKey = :tk',
        ExpressionAttributeValues: { ':tk': topicKey(controller, filter) },
        ConsistentRead: true,
        Limit: 1,
        ProjectionExpression: 'sessionId',
      }),
    );
    if ((anyone ?? []).length > 0) return;
    try {
      await this.doc.send(
        new DeleteCommand({ TableName: this.tableName, Key: key, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': item.version } }),
      );
    } catch (error) {
      // A subscribe touched it since the read: it has a subscriber again.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * The controller's indexed filters that match the topic, sorted: one strongly consistent
   * BatchGetItem of the markers of the topic's anchors, then one Query per marked anchor.
   */
  async matching(controller: string, topic: string): Promise<string[]> {
    const markers = await batchGet(
      this.doc,
      this.tableName,
      anchorsOf(topic).map((anchor) => ({ topicKey: indexPartition(controller, anchor), sessionId: MARKER })),
      { consistentRead: true, attributes: ['topicKey'] },
    );
    const found = new Set<string>();
    await runLimited(markers.map((marker) => marker.topicKey as string), ANCHOR_CONCURRENCY, async (partition) => {
      const items = await queryAll(this.doc, {
        TableName: this.tableName,
        KeyConditionExpression: 'topicKey = :tk',
        ExpressionAttributeValues: { ':tk': partition },
        ProjectionExpression: 'sessionId',
        ConsistentRead: true,
      });
      for (const item of items) {
        const filter = item.sessionId as string;
        if (filter !== MARKER && matches(filter, topic)) found.add(filter);
      }
    });
    return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** The sort key of an anchor's marker: `*` is in no filter (PROTOCOL §7's alphabet). */
const MARKER = '*';

/** The index partition of one anchor. */
export function indexPartition(controller: string, anchor: string): string {
  return topicKey(controller, `#idx/${anchor}`);
}

/** The index item of one filter (sk = the filter, in the table's `sessionId` sort key). */
function indexKey(controller: string, filter: string): { topicKey: string; sessionId: string } {
  return { topicKey: indexPartition(controller, anchorOf(filter)), sessionId: filter };
}
