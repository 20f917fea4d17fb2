import type { Recipient, Subscription } from '../../core/types.js';
import type { SubscriptionHit, SubscriptionStore } from '../../ports/subscription-store.js';
import { isFilter, matches } from '../../core/topic-filter.js';
import type { AudiencePage, AudiencePageRequest } from '../../ports/audience-page.js';
import { audiencePage } from './audience-page.js';
import { compact, compareStrings, copy, DEFAULT_PAGE_SIZE, isLive, pages } from './records.js';

/** Subscriptions in a Map per `<controller>|<topic>`, keyed by sessionId within, as in DynamoDB. */
export class MemorySubscriptionStore implements SubscriptionStore {
  private readonly byTopic = new Map<string, Map<string, Subscription>>();

  constructor(private readonly options: { pageSize?: number } = {}) {}

  async put(subscription: Subscription): Promise<void> {
    const key = topicKeyOf(subscription.controller, subscription.topic);
    let subscribers = this.byTopic.get(key);
    if (subscribers === undefined) this.byTopic.set(key, (subscribers = new Map()));
    subscribers.set(subscription.sessionId, copy(subscription));
  }

  async delete(controller: string, topic: string, sessionId: string): Promise<void> {
    this.byTopic.get(topicKeyOf(controller, topic))?.delete(sessionId);
  }

  /** The memory store's index is its own map: the filters of the controller with a live subscriber. */
  async filtersMatching(controller: string, topic: string, now: number): Promise<string[]> {
    const prefix = topicKeyOf(controller, '');
    const found: string[] = [];
    for (const [key, subscribers] of this.byTopic) {
      if (!key.startsWith(prefix)) continue;
      const filter = key.slice(prefix.length);
      if (!isFilter(filter) || !matches(filter, topic)) continue;
      if ([...subscribers.values()].some((subscription) => isLive(subscription, now))) found.push(filter);
    }
    return found.sort(compareStrings);
  }

  async subscriptionsAmong(controller: string, topics: string[], sessionIds: string[], now: number): Promise<SubscriptionHit[]> {
    const hits: SubscriptionHit[] = [];
    for (const topic of new Set(topics)) {
      const subscribers = this.byTopic.get(topicKeyOf(controller, topic));
      for (const sessionId of new Set(sessionIds)) {
        const subscription = subscribers?.get(sessionId);
        if (subscription && isLive(subscription, now)) hits.push({ topic, sessionId, subscriptionQos: subscription.subscriptionQos });
      }
    }
    return hits;
  }

  async *subscribersOf(controller: string, topic: string, now: number): AsyncIterable<Recipient[]> {
    const recipients = [...(this.byTopic.get(topicKeyOf(controller, topic))?.values() ?? [])]
      .filter((subscription) => isLive(subscription, now))
      .sort((a, b) => compareStrings(a.sessionId, b.sessionId))
      .map(toRecipient);
    yield* pages(recipients, this.options.pageSize ?? DEFAULT_PAGE_SIZE);
  }

  async subscriberPage(controller: string, topic: string, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
    const subscribers = [...(this.byTopic.get(topicKeyOf(controller, topic))?.entries() ?? [])];
    return audiencePage(subscribers, (subscription) => isLive(subscription, now), toRecipient, page);
  }

  async ofSession(sessionId: string, now: number): Promise<Subscription[]> {
    return this.allOfSession(sessionId)
      .filter((subscription) => isLive(subscription, now))
      .map((subscription) => copy(subscription));
  }

  /** Only live subscriptions are re-pointed, as the DynamoDB store finds them by a filtered Query. */
  async attach(sessionId: string, connectionId: string | undefined, expiresAt: number, now: number): Promise<void> {
    for (const subscription of this.allOfSession(sessionId)) {
      if (!isLive(subscription, now)) continue;
      if (connectionId === undefined) delete subscription.connectionId;
      else subscription.connectionId = connectionId;
      subscription.expiresAt = expiresAt;
    }
  }

  async detach(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void> {
    for (const subscription of this.allOfSession(sessionId)) {
      if (!isLive(subscription, now) || subscription.connectionId !== connectionId) continue;
      delete subscription.connectionId;
      subscription.expiresAt = expiresAt;
    }
  }

  async repoint(
    sessionId: string,
    from: string,
    to: Pick<Subscription, 'connectionId' | 'claimedQos' | 'format'>,
    expiresAt: number,
    now: number,
  ): Promise<void> {
    for (const subscription of this.allOfSession(sessionId)) {
      if (!isLive(subscription, now) || subscription.connectionId !== from) continue;
      if (to.connectionId === undefined) delete subscription.connectionId;
      else subscription.connectionId = to.connectionId;
      subscription.claimedQos = to.claimedQos;
      subscription.format = to.format;
      subscription.expiresAt = expiresAt;
    }
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    for (const subscribers of this.byTopic.values()) subscribers.delete(sessionId);
  }

  /** Expired ones of the connection go too, as deleteSession's do. */
  async deleteOfConnection(sessionId: string, connectionId: string, _now: number): Promise<void> {
    for (const subscribers of this.byTopic.values()) {
      if (subscribers.get(sessionId)?.connectionId === connectionId) subscribers.delete(sessionId);
    }
  }

  async markSession(sessionId: string, backlogged: boolean, now: number): Promise<void> {
    for (const subscription of this.allOfSession(sessionId)) {
      if (!isLive(subscription, now)) continue;
      if (backlogged) subscription.backlogged = true;
      else delete subscription.backlogged;
    }
  }

  /** In topic-key order, as the bySession index sorts them. */
  private allOfSession(sessionId: string): Subscription[] {
    return [...this.byTopic.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .flatMap(([, subscribers]) => {
        const subscription = subscribers.get(sessionId);
        return subscription ? [subscription] : [];
      });
  }
}

/** The same key as schema.ts's topicKey(), kept here so memory adapters import nothing of DynamoDB. */
function topicKeyOf(controller: string, topic: string): string {
  return `${controller}|${topic}`;
}

function toRecipient(subscription: Subscription): Recipient {
  return compact<Recipient>({
    sessionId: subscription.sessionId,
    connectionId: subscription.connectionId,
    sessionKind: subscription.sessionKind,
    claimedQos: subscription.claimedQos,
    format: subscription.format,
    subscriptionQos: subscription.subscriptionQos,
    backlogged: subscription.backlogged,
  });
}
