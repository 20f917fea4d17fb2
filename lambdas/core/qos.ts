import type { Qos, Recipient } from './types.js';

/**
 * PROTOCOL §4: effective QoS toward a recipient = min(what the sender asked, what the
 * recipient claimed on connect, its subscription's QoS where it came by subscription).
 * A client that claimed nothing therefore gets everything as QoS 0.
 */
export function effectiveQos(asked: Qos, recipient: Pick<Recipient, 'claimedQos' | 'subscriptionQos'>): Qos {
  let qos = Math.min(asked, recipient.claimedQos) as Qos;
  if (recipient.subscriptionQos !== undefined) qos = Math.min(qos, recipient.subscriptionQos) as Qos;
  return qos;
}

/** The QoS a subscription is granted: min(asked, claimed) (PROTOCOL §2, subscribe). */
export function grantedQos(asked: Qos, claimed: Qos): Qos {
  return Math.min(asked, claimed) as Qos;
}

export function isQos(value: unknown): value is Qos {
  return value === 0 || value === 1 || value === 2;
}
