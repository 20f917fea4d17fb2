import type { HistoryRecord } from '../core/types.js';

/** What `history` asks for (PROTOCOL §10): newest first, `since` <= receivedAt < `before`. */
export interface HistoryQuery {
  /** 1-1000. */
  limit: number;
  /** Only records received at or after this (ms). */
  since?: number;
  /** Only records received before this (ms): pages further back. */
  before?: number;
}

export interface HistoryPage {
  /** Newest first. */
  items: HistoryRecord[];
  /** Whether older records match the query beyond `limit`. */
  more: boolean;
}

/**
 * Every message accepted from a client, kept per controller/topic for the history TTL
 * (PROTOCOL §10), and the source of the ingestion sink (§11: the DynamoDB table's stream).
 * Reads ignore records whose `expiresAt` has passed (storage deletes them late).
 */
export interface HistoryStore {
  /**
   * Stores the records. Idempotent: a record is keyed by (controller, topic, receivedAt,
   * messageId), so writing one again (a retried hand-on) changes nothing.
   */
  append(records: HistoryRecord[]): Promise<void>;
  /** One page of a topic's records, newest first. */
  page(controller: string, topic: string, query: HistoryQuery, now: number): Promise<HistoryPage>;
}
