import type { ConnectionStore } from './connection-store.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { HistoryStore } from './history-store.js';
import type { InboundStore } from './inbound-store.js';
import type { PendingStore } from './pending-store.js';
import type { RetainedStore } from './retained-store.js';
import type { SubscriptionStore } from './subscription-store.js';

export type { Clock } from './clock.js';
export type { ConnectionGateway } from './connection-gateway.js';
export type { ConnectionStore, DeadLetterStore, HistoryStore, InboundStore, PendingStore, RetainedStore, SubscriptionStore };
export type { HistoryPage, HistoryQuery } from './history-store.js';

/** Every store, as one bundle: both the in-memory and the DynamoDB adapters provide all seven. */
export interface Stores {
  connections: ConnectionStore;
  subscriptions: SubscriptionStore;
  pending: PendingStore;
  inbound: InboundStore;
  retained: RetainedStore;
  deadLetters: DeadLetterStore;
  history: HistoryStore;
}
