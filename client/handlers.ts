import type { Qos } from './frames.js';
import { topicMatches } from './topic-filter.js';

/** A message as the application gets it (PROTOCOL §3 `message`). */
export interface InboundMessage {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
  /** The server's id (QoS 1 and 2 only). */
  id?: string;
  /** The server sent it before (a resend). */
  dup: boolean;
  /** A topic's kept last value, handed to a new subscriber. */
  retained: boolean;
  /** PROTOCOL §4 per-message expiry: the seconds the message had left when the server sent it (absent: it does not expire). */
  expiry?: number;
}

/**
 * Handles a message. QoS 1: acked once it returns (or its promise resolves); if it throws,
 * no ack, so the server sends the message again. QoS 2: runs once per id; if it throws, no
 * pubrec, so the message comes again and the handler runs again.
 */
export type MessageHandler = (message: InboundMessage) => void | Promise<void>;

/** `*` matches any controller or topic; a topic may also be a filter (PROTOCOL §8: `site-1/+/temp`, `site-1/#`). */
export const ANY = '*';

/** Handlers by controller and topic. */
export class HandlerRegistry {
  private readonly entries = new Set<{ controller: string; topic: string; handler: MessageHandler }>();

  /** Adds a handler; returns a function that removes it. */
  add(controller: string, topic: string, handler: MessageHandler): () => void {
    const entry = { controller, topic, handler };
    this.entries.add(entry);
    return () => {
      this.entries.delete(entry);
    };
  }

  match(controller: string, topic: string): MessageHandler[] {
    return [...this.entries]
      .filter((e) => (e.controller === ANY || e.controller === controller) && (e.topic === ANY || topicMatches(e.topic, topic)))
      .map((e) => e.handler);
  }
}
