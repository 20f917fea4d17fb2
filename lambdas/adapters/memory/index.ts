import type { Stores } from '../../ports/index.js';
import { MemoryConnectionStore } from './memory-connection-store.js';
import { MemoryDeadLetterStore } from './memory-dead-letter-store.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import { MemoryInboundStore } from './memory-inbound-store.js';
import { MemoryPendingStore } from './memory-pending-store.js';
import { MemoryRetainedStore } from './memory-retained-store.js';
import { MemorySubscriptionStore } from './memory-subscription-store.js';

export {
  MemoryConnectionStore,
  MemoryDeadLetterStore,
  MemoryHistoryStore,
  MemoryInboundStore,
  MemoryPendingStore,
  MemoryRetainedStore,
  MemorySubscriptionStore,
};

export interface MemoryStoresOptions {
  /** Items per page of membersOf and subscribersOf (default 100), to exercise paging callers. */
  pageSize?: number;
}

/**
 * Every store in memory: for the fast tests of the core and handlers and for the local
 * runtime without DynamoDB. Same semantics as createDynamoDbStores (the store contract suite
 * runs on both); no clock is read, every method that needs the time takes `now`.
 */
export function createMemoryStores(opts: MemoryStoresOptions = {}): Stores {
  return {
    connections: new MemoryConnectionStore(opts),
    subscriptions: new MemorySubscriptionStore(opts),
    pending: new MemoryPendingStore(),
    inbound: new MemoryInboundStore(),
    retained: new MemoryRetainedStore(),
    deadLetters: new MemoryDeadLetterStore(),
    history: new MemoryHistoryStore(),
  };
}
