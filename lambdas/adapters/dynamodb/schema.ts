/**
 * The DynamoDB tables, described once: the CDK stack creates them from this, the adapters
 * read and write them by it, and the test setup creates the same tables in DynamoDB Local.
 *
 * Every item carries the TTL attribute `expiresAt` (epoch seconds, as DynamoDB requires).
 */

export type TableName = 'connections' | 'subscriptions' | 'pending' | 'inbound' | 'retained' | 'deadLetters';

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
}

export const TTL_ATTRIBUTE = 'expiresAt';

export const TABLES: Record<TableName, TableSchema> = {
  /**
   * One table, three kinds of item:
   *   pk = conn#<connectionId>   sk = conn            the connection
   *   pk = ctrl#<controller>     sk = <connectionId>  membership: invokeToAll Queries these
   *   pk = session#<sessionId>   sk = session         which connection serves a clientId now
   */
  connections: {
    envVar: 'CONNECTIONS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    indexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  /** pk = <controller>|<topic> (names cannot hold `|`), sk = sessionId; bySession finds a session's subscriptions. */
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
   * Pending outbound messages. byDue is the resend index: partition `dueShard` (a few shards so
   * no partition runs hot), sort `dueAt` (ms); the sweep Queries `dueAt <= now` per shard.
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
    indexes: [],
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
