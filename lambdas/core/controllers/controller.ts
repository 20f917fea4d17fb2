import type { Delivery } from '../delivery.js';
import { QoS, type Qos } from '../types.js';

/**
 * Server code, as in XSockets: a controller has a method per topic (PROTOCOL §5). A method
 * says what should happen through its context; the shell carries it out afterwards, so a
 * controller never touches AWS and is tested with plain calls.
 */
export interface ControllerContext {
  /** The controller and topic being handled. */
  readonly controller: string;
  readonly topic: string;
  /** Who sent the message. */
  readonly sender: { sessionId: string; connectionId: string };
  /** Every connection with `controller` open gets `topic` with `data` (RPC). Default QoS 0. */
  invokeToAll(controller: string, topic: string, data: unknown, qos?: Qos): void;
  /** Every subscriber of `controller`/`topic` gets `data` (pub/sub). Default QoS 0. */
  publishToAll(controller: string, topic: string, data: unknown, qos?: Qos): void;
}

/** A topic's method. Throw a ProtocolError to answer the sender with an error frame. */
export type TopicMethod = (data: unknown, context: ControllerContext) => void | Promise<void>;

export interface Controller {
  readonly name: string;
  readonly topics: Readonly<Record<string, TopicMethod>>;
}

/** Declares a controller; a topic without a method is published to its subscribers. */
export function defineController(name: string, topics: Record<string, TopicMethod> = {}): Controller {
  return { name, topics: Object.freeze({ ...topics }) };
}

/**
 * Runs a topic's method and returns the deliveries it asked for. A topic with no method is
 * handed to its subscribers at the sender's QoS (PROTOCOL §2 publish).
 *
 * `expiresAt`: the end of the message being handled (PROTOCOL §4 per-message expiry). Every
 * delivery its method asks for carries it: what a method sends on for a message is as stale
 * as the message once it has expired.
 */
export async function runController(
  controller: Controller,
  topic: string,
  data: unknown,
  qos: Qos,
  sender: ControllerContext['sender'],
  expiresAt?: number,
): Promise<Delivery[]> {
  const method = Object.hasOwn(controller.topics, topic) ? controller.topics[topic] : undefined;
  const end = expiresAt !== undefined ? { expiresAt } : {};
  if (!method) return [{ via: 'publish', controller: controller.name, topic, data, qos, ...end }];
  const deliveries: Delivery[] = [];
  const context: ControllerContext = {
    controller: controller.name,
    topic,
    sender,
    invokeToAll: (c, t, d, q = QoS.FireAndForget) => void deliveries.push({ via: 'invoke', controller: c, topic: t, data: d, qos: q, ...end }),
    publishToAll: (c, t, d, q = QoS.FireAndForget) => void deliveries.push({ via: 'publish', controller: c, topic: t, data: d, qos: q, ...end }),
  };
  await method(data, context);
  return deliveries;
}
