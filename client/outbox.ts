/**
 * The outbox port: the client's own QoS 1/2 publishes that the server has not answered yet
 * (PROTOCOL §4, client to server). An entry is put before the publish is first sent and
 * deleted when its last answer comes, so a reconnect, or a restart with a persistent store,
 * sends exactly what is still open, with the same id.
 *
 *   QoS 1:  publish ──(awaiting 'msgack')──▶ msgack: deleted
 *   QoS 2:  publish ──(awaiting 'pubrec')──▶ pubrec ─▶ pubrel ──(awaiting 'completion')──▶ msgack: deleted
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
}

/**
 * Where unanswered publishes are kept. Every implementation passes the contract suite in
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
}
