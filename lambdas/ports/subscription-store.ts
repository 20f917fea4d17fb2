import type { Recipient, Subscription } from '../core/types.js';

/** Topic subscriptions, keyed by (controller, topic, sessionId). Reads ignore expired items. */
export interface SubscriptionStore {
  /** Creates or replaces the session's subscription to the topic. */
  put(subscription: Subscription): Promise<void>;
  /** Idempotent. */
  delete(controller: string, topic: string, sessionId: string): Promise<void>;
  /** The topic's subscribers, by Query (never Scan), in pages. */
  subscribersOf(controller: string, topic: string, now: number): AsyncIterable<Recipient[]>;
  /** Every subscription of one session (by Query on a session index). */
  ofSession(sessionId: string, now: number): Promise<Subscription[]>;
  /**
   * Points every subscription of the session at a connection (a persistent session came
   * back) or at none (`undefined`: it went away), and extends their expiry.
   */
  attach(sessionId: string, connectionId: string | undefined, expiresAt: number, now: number): Promise<void>;
  /** Deletes every subscription of the session. */
  deleteSession(sessionId: string, now: number): Promise<void>;
}
