import type { Qos, Recipient } from './types.js';

/**
 * A publish's audience when filters match (PROTOCOL §8): its partitions, in a fixed order (the
 * exact topic first, then each matching filter), each a list of subscriptions. A session that
 * is in several gets the message ONCE, at the best of its subscriptions' QoS (then capped as in
 * §4 by the delivery: core/qos.ts effectiveQos).
 */

/** One subscription of a session found in another partition of the same audience. */
export interface PartitionHit {
  /** The partition's index in the audience's order. */
  partition: number;
  sessionId: string;
  subscriptionQos: Qos;
}

function better(a: Qos | undefined, b: Qos | undefined): Qos | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/**
 * Every partition read whole (the inline path): one recipient per session, with the best
 * subscriptionQos of all its subscriptions; the rest of the recipient (connection, claim,
 * format) is the same in each, as a session's subscriptions are re-pointed together.
 * In sessionId order.
 */
export function mergePartitions(partitions: Recipient[][]): Recipient[] {
  const bySession = new Map<string, Recipient>();
  for (const recipients of partitions) {
    for (const recipient of recipients) {
      const seen = bySession.get(recipient.sessionId);
      if (seen === undefined) bySession.set(recipient.sessionId, { ...recipient });
      else {
        const qos = better(seen.subscriptionQos, recipient.subscriptionQos);
        if (qos !== undefined) seen.subscriptionQos = qos;
      }
    }
  }
  return [...bySession.values()].sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
}

/**
 * One page of partition `partition` (the paged path, page jobs): a recipient whose session
 * also holds a subscription in an EARLIER partition is left out (that partition's page
 * delivers to it), the others get the best subscriptionQos of their hits in every partition.
 * So each session is delivered by exactly one page, whatever order the pages run in.
 */
export function onceAcrossPartitions(recipients: Recipient[], partition: number, hits: PartitionHit[]): Recipient[] {
  const earlier = new Set<string>();
  const best = new Map<string, Qos>();
  for (const hit of hits) {
    if (hit.partition === partition) continue;
    if (hit.partition < partition) earlier.add(hit.sessionId);
    best.set(hit.sessionId, better(best.get(hit.sessionId), hit.subscriptionQos) as Qos);
  }
  return recipients
    .filter((recipient) => !earlier.has(recipient.sessionId))
    .map((recipient) => {
      const qos = better(recipient.subscriptionQos, best.get(recipient.sessionId));
      return qos === undefined ? recipient : { ...recipient, subscriptionQos: qos };
    });
}
