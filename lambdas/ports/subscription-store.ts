import type { Qos, Recipient, Subscription } from '../core/types.js';
import type { AudiencePage, AudiencePageRequest } from './audience-page.js';

/** A session's subscription to one of several topics or filters, as a fan-out's dedupe reads it (core/audience.ts). */
export interface SubscriptionHit {
  topic: string;
  sessionId: string;
  subscriptionQos: Qos;
}

/**
 * Topic subscriptions, keyed by (controller, topic, sessionId). Reads ignore expired items.
 * A subscription's topic may be a filter (PROTOCOL §8: core/topic-filter.ts): it is kept like
 * an exact one (so every per-session method treats it the same), and the store also keeps an
 * index of the controller's filters that {@link filtersMatching} reads.
 */
export interface SubscriptionStore {
  /** Creates or replaces the session's subscription to the topic or filter; a filter is indexed by the time this resolves. */
  put(subscription: Subscription): Promise<void>;
  /** Idempotent. The last subscriber of a filter takes it out of the index. */
  delete(controller: string, topic: string, sessionId: string): Promise<void>;
  /**
   * The controller's filters that match the concrete topic, sorted, without ever reading every
   * subscription of the controller (DynamoDB: one Query per anchor of the topic). May name a
   * filter whose subscribers are gone (its partition is then empty); never misses one whose
   * subscription was put before the call.
   */
  filtersMatching(controller: string, topic: string, now: number): Promise<string[]>;
  /** The live subscriptions among every (topic or filter, sessionId) pair given (DynamoDB: BatchGetItem), in no particular order. */
  subscriptionsAmong(controller: string, topics: string[], sessionIds: string[], now: number): Promise<SubscriptionHit[]>;
  /** The topic's subscribers, by Query (never Scan), in pages. */
  subscribersOf(controller: string, topic: string, now: number): AsyncIterable<Recipient[]>;
  /**
   * One page of the topic's subscribers, in sessionId order, read strongly consistent: a fan-out
   * reads its first page inline and queues the rest by key (app/fanout.ts).
   */
  subscriberPage(controller: string, topic: string, now: number, page: AudiencePageRequest): Promise<AudiencePage>;
  /** Every subscription of one session (by Query on a session index). */
  ofSession(sessionId: string, now: number): Promise<Subscription[]>;
  /**
   * Points every subscription of the session at a connection (a persistent session came
   * back) or at none (`undefined`: it went away), and extends their expiry. Unconditional:
   * a connection's cleanup uses {@link detach}, which leaves a newer connection's alone.
   */
  attach(sessionId: string, connectionId: string | undefined, expiresAt: number, now: number): Promise<void>;
  /**
   * A persistent session went away: its live subscriptions that still point at `connectionId`
   * point at none and live until `expiresAt`. Each write is conditional on the subscription
   * pointing at that connection, so one a newer connection took over is left alone.
   */
  detach(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void>;
  /**
   * Points the session's live subscriptions that still point at `from` at `to` (its connection
   * or none, with its claim and format) and extends their expiry. Each write is conditional on
   * the subscription pointing at `from`: a `$connect` taken over while it ran hands what it
   * re-pointed on to the session's owner, and leaves alone what anyone re-pointed since.
   */
  repoint(
    sessionId: string,
    from: string,
    to: Pick<Subscription, 'connectionId' | 'claimedQos' | 'format'>,
    expiresAt: number,
    now: number,
  ): Promise<void>;
  /** Deletes every subscription of the session. */
  deleteSession(sessionId: string, now: number): Promise<void>;
  /**
   * A clean session ended: deletes the session's subscriptions that point at `connectionId`
   * (conditionally, item by item), so what a newer connection of the clientId made stays.
   */
  deleteOfConnection(sessionId: string, connectionId: string, now: number): Promise<void>;
  /**
   * Sets (or removes) `backlogged` on the session's live subscriptions (lazy flow control,
   * docs/protocol.md "Flow control"), so `subscribersOf` returns them flagged; writes only those
   * that differ. A subscription `put` afresh starts unflagged. Idempotent.
   */
  markSession(sessionId: string, backlogged: boolean, now: number): Promise<void>;
}
