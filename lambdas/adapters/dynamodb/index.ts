import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stores } from '../../ports/index.js';
import type { BatchOptions } from './batch.js';
import { DynamoDbConnectionStore } from './dynamodb-connection-store.js';
import { DynamoDbDeadLetterStore } from './dynamodb-dead-letter-store.js';
import { DynamoDbHistoryStore } from './dynamodb-history-store.js';
import { DynamoDbInboundStore } from './dynamodb-inbound-store.js';
import { DynamoDbPendingStore, type FirstSendsMode } from './dynamodb-pending-store.js';
import { DynamoDbRetainedStore } from './dynamodb-retained-store.js';
import { DynamoDbSubscriptionStore } from './dynamodb-subscription-store.js';
import { TABLES, type TableName } from './schema.js';

export { batchGet, batchWrite, UnprocessedItemsError, type BatchOptions } from './batch.js';
export { createTables, prefixedTableNames } from './create-tables.js';
export {
  DynamoDbConnectionStore,
  DynamoDbDeadLetterStore,
  DynamoDbHistoryStore,
  DynamoDbInboundStore,
  DynamoDbPendingStore,
  DynamoDbRetainedStore,
  DynamoDbSubscriptionStore,
};

export interface DynamoDbStoresOptions {
  /** Shards of the pending table's byDue index (RESEND_SHARDS); the sweep Queries each. */
  resendShards: number;
  /** Most items per fan-out Query page (membersOf, subscribersOf); default DynamoDB's 1 MB. */
  pageSize?: number;
  batch?: BatchOptions;
  /** Where the pending store keeps a fan-out's first sends (FIRST_SENDS): see DynamoDbPendingStoreOptions. */
  firstSends?: FirstSendsMode;
}

/**
 * Every store on DynamoDB through one injected DocumentClient. A function granted only some
 * tables (least privilege) passes only their names; the other stores throw on first use,
 * naming the table and its environment variable, rather than failing with AccessDenied.
 */
export function createDynamoDbStores(
  doc: DynamoDBDocumentClient,
  names: Partial<Record<TableName, string>>,
  opts: DynamoDbStoresOptions,
): Stores {
  const { resendShards, pageSize, batch, firstSends } = opts;
  const withTable = <T extends object>(table: TableName, make: (name: string) => T): T => {
    const name = names[table];
    return name === undefined || name === '' ? unconfigured<T>(table) : make(name);
  };
  return {
    connections: withTable('connections', (name) => new DynamoDbConnectionStore(doc, name, { pageSize, batch })),
    subscriptions: withTable('subscriptions', (name) => new DynamoDbSubscriptionStore(doc, name, { pageSize, batch })),
    // The entries' bodies are in `messages`: without it there is no pending store either.
    pending: withTable('pending', (name) =>
      names.messages === undefined || names.messages === ''
        ? unconfigured<DynamoDbPendingStore>('messages', 'pending')
        : new DynamoDbPendingStore(doc, name, { resendShards, batch, messagesTable: names.messages, firstSends }),
    ),
    inbound: withTable('inbound', (name) => new DynamoDbInboundStore(doc, name, { batch })),
    retained: withTable('retained', (name) => new DynamoDbRetainedStore(doc, name)),
    deadLetters: withTable('deadLetters', (name) => new DynamoDbDeadLetterStore(doc, name)),
    history: withTable('history', (name) => new DynamoDbHistoryStore(doc, name, { batch })),
  };
}

/** A store whose every method throws: its function was not given the table (`store` needs `table`). */
function unconfigured<T extends object>(table: TableName, store: string = table): T {
  return new Proxy({} as T, {
    get(_target, property) {
      // Not a thenable, so `await`ing or logging the bundle does not trip over it.
      if (typeof property === 'symbol' || property === 'then') return undefined;
      return () => {
        throw new Error(
          `qosgate: the ${table} table is not configured for this function (${TABLES[table].envVar} is not set); ` +
            `cannot call ${store}.${property}()`,
        );
      };
    },
  });
}
