/**
 * The topics this client subscribed to (PROTOCOL §2 subscribe / unsubscribe), so that:
 * - each call's promise settles on its `suback` / `unsuback` (or the server's error frame);
 * - a request not answered when the connection dropped is sent again on the next one;
 * - a clean session, which the server forgets with its connection, subscribes again after
 *   every reconnect (as MQTT.js's `resubscribe`). A persistent session's subscriptions are
 *   kept by the server (docs/protocol.md §1), so only unanswered requests are sent again
 *   (sending all again would hand each retained value over once more).
 */
import { ServerRefusedError } from './errors.js';
import type { ClientFrame, Qos, ServerFrameOf } from './frames.js';

interface Waiting {
  kind: 'subscribe' | 'unsubscribe';
  key: string;
  frame: ClientFrame;
  resolve(qos: Qos | undefined): void;
  reject(error: Error): void;
}

const keyOf = (controller: string, topic: string): string => `${controller}\u0000${topic}`;

export class Subscriptions {
  private readonly desired = new Map<string, ClientFrame>();
  private waiting: Waiting[] = [];

  constructor(private readonly send: (frame: ClientFrame) => boolean) {}

  subscribe(controller: string, topic: string, qos: Qos): Promise<Qos> {
    const frame: ClientFrame = { action: 'subscribe', controller, topic, qos };
    this.desired.set(keyOf(controller, topic), frame);
    return this.request('subscribe', keyOf(controller, topic), frame) as Promise<Qos>;
  }

  async unsubscribe(controller: string, topic: string): Promise<void> {
    this.desired.delete(keyOf(controller, topic));
    await this.request('unsubscribe', keyOf(controller, topic), { action: 'unsubscribe', controller, topic });
  }

  /** The frames to send on a new connection. */
  onOpen(session: 'clean' | 'persistent'): void {
    const frames = new Map<string, ClientFrame>();
    if (session === 'clean') for (const [key, frame] of this.desired) frames.set(`subscribe ${key}`, frame);
    for (const w of this.waiting) frames.set(`${w.kind} ${w.key}`, w.frame);
    for (const frame of frames.values()) this.send(frame);
  }

  onSuback(frame: ServerFrameOf<'suback'>): void {
    this.settle('subscribe', keyOf(frame.controller, frame.topic), frame.qos);
  }

  onUnsuback(frame: ServerFrameOf<'unsuback'>): void {
    this.settle('unsubscribe', keyOf(frame.controller, frame.topic), undefined);
  }

  /**
   * An error frame about a subscribe or unsubscribe: such frames carry no id, so it is
   * matched to the oldest request of that kind still waiting. True if it was one.
   */
  onError(frame: ServerFrameOf<'error'>): boolean {
    if (frame.action !== 'subscribe' && frame.action !== 'unsubscribe') return false;
    const index = this.waiting.findIndex((w) => w.kind === frame.action);
    if (index < 0) return false;
    const [refused] = this.waiting.splice(index, 1) as [Waiting];
    if (refused.kind === 'subscribe') this.desired.delete(refused.key);
    refused.reject(new ServerRefusedError(frame.code, frame.message, frame.action));
    return true;
  }

  close(error: Error): void {
    for (const w of this.waiting) w.reject(error);
    this.waiting = [];
  }

  private request(kind: Waiting['kind'], key: string, frame: ClientFrame): Promise<Qos | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ kind, key, frame, resolve, reject });
      this.send(frame); // not open: sent by onOpen
    });
  }

  private settle(kind: Waiting['kind'], key: string, qos: Qos | undefined): void {
    const settled = this.waiting.filter((w) => w.kind === kind && w.key === key);
    this.waiting = this.waiting.filter((w) => !settled.includes(w));
    for (const w of settled) w.resolve(qos);
  }
}
