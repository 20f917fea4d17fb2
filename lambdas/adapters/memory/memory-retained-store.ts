import type { RetainedMessage } from '../../core/types.js';
import type { RetainedStore } from '../../ports/retained-store.js';
import { matches } from '../../core/topic-filter.js';
import { compareStrings, copy, isLive } from './records.js';

/** The last value per `<controller>|<topic>`, in a Map. */
export class MemoryRetainedStore implements RetainedStore {
  private readonly messages = new Map<string, RetainedMessage>();

  async put(message: RetainedMessage): Promise<void> {
    this.messages.set(`${message.controller}|${message.topic}`, copy(message));
  }

  async clear(controller: string, topic: string): Promise<void> {
    this.messages.delete(`${controller}|${topic}`);
  }

  async get(controller: string, topic: string, now: number): Promise<RetainedMessage | undefined> {
    const message = this.messages.get(`${controller}|${topic}`);
    return message && isLive(message, now) ? copy(message) : undefined;
  }

  async matching(controller: string, filter: string, now: number): Promise<RetainedMessage[]> {
    return [...this.messages.values()]
      .filter((message) => message.controller === controller && matches(filter, message.topic) && isLive(message, now))
      .sort((a, b) => compareStrings(a.topic, b.topic))
      .map((message) => copy(message));
  }
}
