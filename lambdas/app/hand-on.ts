import { runController } from '../core/controllers/controller.js';
import { deliveryMessageId } from '../core/delivery.js';
import { endOf, isExpired } from '../core/expiry.js';
import type { Qos } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { deliver, emptyStats, type DeliveryStats } from './deliver.js';

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
 */
export async function handOn(
  deps: AppDeps,
  publication: Publication,
  sender: { sessionId: string; connectionId: string },
  messageId: string,
  now: number,
  rerun = false,
): Promise<DeliveryStats> {
  const controller = deps.controllers.get(publication.controller);
  // PROTOCOL §4: a message that expired before it was handed on (a QoS 2 publish whose pubrel
  // came too late) is handed to nobody, not run through its controller, not retained.
  if (isExpired(publication, now)) {
    deps.metrics?.count('Expired', 1, publication.qos);
    return emptyStats();
  }
  // The method runs first: if it refuses the message (a ProtocolError), nothing is retained.
  const deliveries = await runController(controller, publication.topic, publication.data, publication.qos, sender, publication.messageExpiresAt);
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
    const stats = await deliver(deps, rerun ? { ...delivery, rerun: true } : delivery, deliveryMessageId(messageId, index), now);
    for (const key of Object.keys(total) as Array<keyof DeliveryStats>) total[key] += stats[key];
  }
  return total;
}
