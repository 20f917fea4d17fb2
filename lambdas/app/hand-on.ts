import { runController } from '../core/controllers/controller.js';
import { deliveryMessageId, type Delivery } from '../core/delivery.js';
import { ProtocolError } from '../core/errors.js';
import { endOf, isExpired } from '../core/expiry.js';
import type { Qos } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { deliver, emptyStats, type DeliveryStats } from './deliver.js';
import { withSharedAudienceReads } from './shared-audience-reads.js';

/** A client's publish as it is handed on (at once for QoS 0/1, at pubrel for QoS 2). */
export interface Publication {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
  retain: boolean;
  /** PROTOCOL §4 per-message expiry: the message's end (ms), fixed when it was published. */
  messageExpiresAt?: number;
}

/** PROTOCOL §4: "an empty `data` clears" the retained value. */
function isEmpty(data: unknown): boolean {
  return data === undefined || data === null || data === '';
}

/**
 * Hands a client's publish on: runs the controller's method for the topic (or, with none,
 * publishes to the topic's subscribers), keeps it as the topic's last value if asked, and
 * delivers what the method asked for. `messageId` is the server id recipients see.
 *
 * `rerun`: a QoS 2 release claimed again after an earlier claim's lease ran out, with the same
 * `messageId`. The earlier run may have stored entries and its recipients answered them since,
 * so this run stores only where nothing is (PROTOCOL §4: once pubrec is in, the message is
 * never sent again; see deliver.ts storeRerun). A first run can write in batches: nobody has
 * an entry with its id yet, and no other run holds the release while its lease runs (the
 * pubrel Lambda's timeout is shorter than the lease).
 *
 * `accepted`: runs once the controller's method has taken the message (it did not refuse it)
 * and before anything is retained or delivered: where the caller records it (app/ingest.ts,
 * PROTOCOL §11). The method runs once per hand-on, so a method with side effects has them once.
 */
export async function handOn(
  deps: AppDeps,
  publication: Publication,
  sender: { sessionId: string; connectionId: string },
  messageId: string,
  now: number,
  rerun = false,
  accepted?: () => Promise<void>,
): Promise<DeliveryStats> {
  const deliveries = await planHandOn(deps, publication, sender, now);
  await accepted?.();
  if (deliveries === 'expired') return emptyStats();
  return completeHandOn(deps, publication, deliveries, messageId, now, rerun);
}

/** One message of a batch as it is handed on: the publication and its server id. */
export interface BatchItem {
  publication: Publication;
  messageId: string;
}

/**
 * Hands a batched publish on (PROTOCOL §2 `messages`), each message as {@link handOn} would,
 * with its own server id. Every message's controller method runs before anything is retained
 * or delivered, so a method that refuses one message (a ProtocolError, which names its index)
 * refuses the whole batch with nothing handed on. The messages share their audience reads
 * (withSharedAudienceReads). Returns the stats summed over the messages. `accepted` runs once
 * every method has taken its message, before any is retained or delivered (see {@link handOn}).
 */
export async function handOnAll(
  deps: AppDeps,
  items: readonly BatchItem[],
  sender: { sessionId: string; connectionId: string },
  now: number,
  rerun = false,
  accepted?: () => Promise<void>,
): Promise<DeliveryStats> {
  const planned: Array<{ item: BatchItem; deliveries: Delivery[] }> = [];
  for (const [index, item] of items.entries()) {
    try {
      const deliveries = await planHandOn(deps, item.publication, sender, now);
      if (deliveries !== 'expired') planned.push({ item, deliveries });
    } catch (error) {
      if (error instanceof ProtocolError) throw new ProtocolError(error.code, `messages[${index}]: ${error.message}`);
      throw error;
    }
  }
  await accepted?.();
  // One audience read per controller/topic for the whole batch (shared-audience-reads.ts).
  const shared = withSharedAudienceReads(deps);
  const total = emptyStats();
  for (const { item, deliveries } of planned) addStats(total, await completeHandOn(shared, item.publication, deliveries, item.messageId, now, rerun));
  return total;
}

/**
 * The first half of a hand-on: the controller's method, which may refuse the message. PROTOCOL
 * §4: a message that expired before it was handed on (a QoS 2 publish whose pubrel came too
 * late) is handed to nobody, not run through its controller, not retained.
 */
async function planHandOn(
  deps: AppDeps,
  publication: Publication,
  sender: { sessionId: string; connectionId: string },
  now: number,
): Promise<Delivery[] | 'expired'> {
  const controller = deps.controllers.get(publication.controller);
  if (isExpired(publication, now)) {
    deps.metrics?.count('Expired', 1, publication.qos);
    return 'expired';
  }
  return runController(controller, publication.topic, publication.data, publication.qos, sender, publication.messageExpiresAt);
}

/** The second half: keeps the topic's last value if asked, and delivers what the method asked for. */
async function completeHandOn(
  deps: AppDeps,
  publication: Publication,
  deliveries: Delivery[],
  messageId: string,
  now: number,
  rerun: boolean,
): Promise<DeliveryStats> {
  // The method ran first: if it refused the message (a ProtocolError), nothing was retained.
  if (publication.retain) {
    const { retained } = deps.stores;
    if (isEmpty(publication.data)) await retained.clear(publication.controller, publication.topic);
    else
      await retained.put({
        controller: publication.controller,
        topic: publication.topic,
        data: publication.data,
        qos: publication.qos,
        publishedAt: now,
        // PROTOCOL §4: a retained value with an expiry is handed to new subscribers until then only.
        ...(publication.messageExpiresAt !== undefined ? { messageExpiresAt: publication.messageExpiresAt } : {}),
        expiresAt: endOf(publication, now + deps.policy.retainedTtlMs),
      });
  }
  const total = emptyStats();
  for (const [index, delivery] of deliveries.entries()) {
    addStats(total, await deliver(deps, rerun ? { ...delivery, rerun: true } : delivery, deliveryMessageId(messageId, index), now));
  }
  return total;
}

function addStats(total: DeliveryStats, stats: DeliveryStats): void {
  for (const key of Object.keys(total) as Array<keyof DeliveryStats>) total[key] += stats[key];
}
