/**
 * The DynamoDB tables, described once: the CDK stack creates them from this, the adapters
 * read and write them by it, and the test setup creates the same tables in DynamoDB Local.
 *
 * Every item carries the TTL attribute `expiresAt` (epoch seconds, as DynamoDB requires).
 */

export type TableName = 'connections' | 'subscriptions' | 'pending' | 'messages' | 'inbound' | 'retained' | 'deadLetters' | 'history';

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

export interface IndexSchema {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** KEYS_ONLY keeps the resend index small: the sweep claims an entry and gets it back whole. */
  projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableSchema {
  /** The environment variable that names the table for the Lambdas. */
  envVar: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes: IndexSchema[];
  ttlAttribute: 'expiresAt';
  /** A DynamoDB stream of the table's changes, with each item's new image (the ingestion sink's source). */
  stream?: 'NEW_IMAGE';
}

export const TTL_ATTRIBUTE = 'expiresAt';

export const TABLES: Record<TableName, TableSchema> = {
  /**
   * One table, five kinds of item (see dynamodb-connection-store.ts):
   *   pk = conn#<connectionId>   sk = conn                 the connection
   *   pk = ctrl#<controller>     sk = <connectionId>       a clean connection's membership: invokeToAll Queries these
   *   pk = ctrl#<controller>     sk = session#<sessionId>  a persistent session's membership, in the same partition;
   *                                                        connectionId only while connected, lives for the session TTL
   *   pk = session#<sessionId>   sk = session              which connection serves a clientId now
   *   pk = session#<sessionId>   sk = ctrl#<controller>    the session's memberships, for takeover and cleanup to find
   *                                                        by a strongly consistent Query (no index)
   */
  connections: {
    envVar: 'CONNECTIONS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    indexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /**
   * pk = <controller>|<topic> (names cannot hold `|`), sk = sessionId: a subscription. Per
   * session also pk = session#<sessionId> (names cannot hold `#`), sk = sessionId, with the set
   * `topicKeys` of its subscriptions: what takeover and cleanup read, strongly consistent.
   * bySession (eventually consistent) only lets deleteSession catch anything older than the list.
   */
  subscriptions: {
    envVar: 'SUBSCRIPTIONS_TABLE',
    partitionKey: { name: 'topicKey', type: 'S' },
    sortKey: { name: 'sessionId', type: 'S' },
    indexes: [
      {
        indexName: 'bySession',
        partitionKey: { name: 'sessionId', type: 'S' },
        sortKey: { name: 'topicKey', type: 'S' },
        projection: 'ALL',
      },
    ],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /**
   * Pending outbound messages, two kinds of item (see dynamodb-pending-store.ts):
   *   pk = <sessionId>      sk = <id>                          an entry: a reference to its body in
   *                                                            `messages` (or, stored before issue 13,
   *                                                            the entry with its `data` inline)
   *   pk = due#<shard>      sk = <dueAt, 15 digits>#<id>#<first sessionId>
   *                                                            a due marker: the sessions of a fan-out's
   *                                                            first sends, due together (sessionIds
   *                                                            never contain `#`)
   * byDue is the resend index, sparse: partition `dueShard` (a few shards so no partition runs
   * hot), sort `dueAt` (ms); only entries not covered by a due marker carry `dueShard`. The sweep
   * Queries the markers and the index `dueAt <= now` per shard.
   */
  pending: {
    envVar: 'PENDING_TABLE',
    partitionKey: { name: 'sessionId', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
    indexes: [
      {
        indexName: 'byDue',
        partitionKey: { name: 'dueShard', type: 'S' },
        sortKey: { name: 'dueAt', type: 'N' },
        projection: 'KEYS_ONLY',
      },
    ],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /**
   * A message's body, written once per delivery (one controller method's hand-on: one server
   * id) however many recipients it has: pk = <controller>|<topic>, sk = <createdAt, 13 digits>#<id>,
   * with `data` (JSON string), `qos`, `retained` and the TTL pair of its pending entries. Meant to
   * become the topic's history and, by its stream, the ingestion sink's source (PROTOCOL §10-11).
   */
  messages: {
    envVar: 'MESSAGES_TABLE',
    partitionKey: { name: 'topicKey', type: 'S' },
    sortKey: { name: 'msgKey', type: 'S' },
    indexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /**
   * Every message accepted from a client, once (PROTOCOL §10 history, §11 ingestion):
   * pk topicKey = <controller>|<topic>, sk msgKey = <receivedAt, 13 digits>#<messageId>, with
   * controller, topic, data (JSON string), qos, clientId, receivedAt, messageId and the TTL pair
   * (the history TTL). `history` Queries it newest first; its stream (new images) feeds the sink.
   */
  history: {
    envVar: 'HISTORY_TABLE',
    partitionKey: { name: 'topicKey', type: 'S' },
    sortKey: { name: 'msgKey', type: 'S' },
    indexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
    stream: 'NEW_IMAGE',
  },
  /** Clients' QoS 2 publishes awaiting pubrel, keyed by (sessionId, the client's id). */
  inbound: {
    envVar: 'INBOUND_TABLE',
    partitionKey: { name: 'sessionId', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
    indexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /** Last value per <controller>|<topic>. */
  retained: {
    envVar: 'RETAINED_TABLE',
    partitionKey: { name: 'topicKey', type: 'S' },
    indexes: [
      /**
       * byController (controller, topic): a new filter subscription's retained values (PROTOCOL §8)
       * by one Query with `begins_with(topic, <the filter's anchor>)`, never a Scan. Eventually
       * consistent, as every GSI is: a value retained a moment before may be missed.
       */
      {
        indexName: 'byController',
        partitionKey: { name: 'controller', type: 'S' },
        sortKey: { name: 'topic', type: 'S' },
        projection: 'ALL',
      },
    ],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /** Dead letters per session, sorted by when they died (sk = <deadAt padded>#<id>). */
  deadLetters: {
    envVar: 'DEAD_LETTERS_TABLE',
    partitionKey: { name: 'sessionId', type: 'S' },
    sortKey: { name: 'deadKey', type: 'S' },
    indexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
};

/** `<controller>|<topic>`: unambiguous because names cannot contain `|` (PROTOCOL §7). */
export function topicKey(controller: string, topic: string): string {
  return `${controller}|${topic}`;
}
