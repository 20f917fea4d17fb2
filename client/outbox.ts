/**
 * The outbox port: the client's own QoS 1/2 publishes that the server has not answered yet
 * (PROTOCOL §4, client to server). An entry is put before the publish is first sent and
 * deleted when its last answer comes, so a reconnect, or a restart with a persistent store,
 * sends exactly what is still open, with the same id.
 *
 *   QoS 1:  publish ──(awaiting 'msgack')──▶ msgack: deleted
 *   QoS 2:  publish ──(awaiting 'pubrec')──▶ pubrec ─▶ pubrel ──(awaiting 'completion')──▶ msgack: deleted
 *
 * The same store keeps the other direction's QoS 2 ids (MQTT.js's "incoming store"): a
 * message handed to the application is remembered before its `pubrec` goes out and forgotten
 * when its `pubrel` comes, so a process that restarts in between, and gets the message again
 * (`dup: true`, the server never saw the pubrec), does not run the handler a second time:
 *
 *   message ─▶ handler ─▶ putIncoming ─▶ pubrec ··· (restart: message again, id known: pubrec only) ··· pubrel ─▶ deleteIncoming
 */
import type { Qos } from './frames.js';

/** The answer an entry waits for: `msgack` (QoS 1), `pubrec` (QoS 2 published), `completion` (QoS 2 released: the msgack after pubrel). */
export type OutboxStep = 'msgack' | 'pubrec' | 'completion';

export interface OutboxEntry {
  /** The client's id for the publish (PROTOCOL §2). */
  id: string;
  controller: string;
  topic: string;
  data: unknown;
  qos: Exclude<Qos, 0>;
  retain: boolean;
  awaiting: OutboxStep;
  /** When the application published it (ms since the epoch). */
  createdAt: number;
  /** PROTOCOL §4 per-message expiry: the seconds it was published with (counted from `createdAt`). */
  expiry?: number;
  /**
   * A batched publish (PROTOCOL §2 `messages`): every message of its one frame, resent whole
   * with the same id. `controller` and `topic` are then the first message's, `data` is null.
   */
  messages?: OutboxBatchMessage[];
}

/** One message of a batched publish in the outbox (its `expiry` counted from the entry's `createdAt`). */
export interface OutboxBatchMessage {
  controller: string;
  topic: string;
  data: unknown;
  retain?: boolean;
  expiry?: number;
}

/** A QoS 2 message id handed to the application whose `pubrel` has not come yet (PROTOCOL §4). */
export interface IncomingEntry {
  /** The server's message id. */
  id: string;
  /** Remembered until then (ms since the epoch), even if its pubrel never comes: the server's message TTL. */
  until: number;
}

/**
 * Where unanswered publishes, and the QoS 2 ids handed to the application and not yet
 * released, are kept. Every implementation passes the contract suite in
 * test/client/outbox-contract.ts. Values are copied in and out: a caller changing an entry
 * it got does not change the store.
 */
export interface OutboxStore {
  /** Adds or replaces the entry with this id (a replaced entry keeps its place in `list`). */
  put(entry: OutboxEntry): Promise<void>;
  get(id: string): Promise<OutboxEntry | undefined>;
  /** Removes it; deleting an absent id is not an error. */
  delete(id: string): Promise<void>;
  /** Every entry, in the order first put (the order they are resent in). */
  list(): Promise<OutboxEntry[]>;

  /** Remembers an inbound QoS 2 id (replaces one with the same id). */
  putIncoming(entry: IncomingEntry): Promise<void>;
  getIncoming(id: string): Promise<IncomingEntry | undefined>;
  /** Forgets it; an absent id is not an error. */
  deleteIncoming(id: string): Promise<void>;
  /** Every remembered inbound id, in the order first put. */
  listIncoming(): Promise<IncomingEntry[]>;
}
