import { handedTo, type DeliveryStats } from '../../app/deliver.js';
import { handOn, handOnAll, type BatchItem } from '../../app/hand-on.js';
import { recordAccepted } from '../../app/ingest.js';
import type { InboundMessage } from '../../core/types.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §4 client to server, QoS 2: on `pubrel` the stored publish is handed on exactly
 * once, its record deleted, and `msgack` answered. The record is claimed first (a lease), so
 * a pubrel repeated while the first is still handing on does nothing; one repeated after
 * completion finds no record and is answered `msgack`, handing nothing on.
 *
 *   client                     server
 *   publish(qos 2, id) ─────▶  store (session, id)        [conditional put]
 *                      ◀─────  pubrec
 *   pubrel(id)         ─────▶  claim → hand on → delete   [conditional update]
 *                      ◀─────  msgack
 */
export const pubrel: CommandHandler<'pubrel'> = async (command, context, deps) => {
  const { connection, now } = context;
  const claim = await deps.stores.inbound.claim(connection.sessionId, command.id, now + deps.policy.releaseLeaseMs, now);
  if (claim.result === 'busy') return; // the pubrel holding it answers; if it dies, the lease runs out
  if (claim.result === 'claimed') {
    const { record } = claim;
    const sender = { sessionId: connection.sessionId, connectionId: connection.connectionId };
    let stats: DeliveryStats;
    try {
      // The record's messageId, fixed at publish: a replay after a crash reuses the same
      // server id, and (claimed before: a re-run) stores only entries recipients do not have,
      // so nobody's is reset, brought back after completion, or doubled.
      const rerun = (record.releases ?? 1) > 1;
      // Expired by now (PROTOCOL §4), it is handed to nobody; the client still gets its msgack.
      const end = record.messageExpiresAt !== undefined ? { messageExpiresAt: record.messageExpiresAt } : {};
      const publication = { controller: record.controller, topic: record.topic, data: record.data, qos: 2 as const, retain: record.retain, ...end };
      // A batch (PROTOCOL §2 `messages`) is handed on whole, each message with the id fixed at
      // publish: `record.messages` is the batch's list of accepted publications at this point.
      const batch = record.messages !== undefined ? batchItemsOf(record.messages) : undefined;
      // PROTOCOL §11: recorded once the controllers took it, before anything is delivered and
      // the msgack, keyed by the record's receivedAt and messageId (a retry rewrites the same keys).
      const recordIt = () => recordAccepted(deps, batch?.map((item) => item.publication) ?? [publication], { ...sender, messageId: record.messageId }, record.receivedAt);
      stats = batch !== undefined ? await handOnAll(deps, batch, sender, now, rerun, recordIt) : await handOn(deps, publication, sender, record.messageId, now, rerun, recordIt);
    } catch (error) {
      // A controller that refuses the message will refuse it every time: drop the record so
      // the client is not stuck resending a pubrel that can never succeed.
      if (error instanceof Error && error.name === 'ProtocolError') await deps.stores.inbound.delete(connection.sessionId, command.id);
      throw error;
    }
    await deps.stores.inbound.delete(connection.sessionId, command.id);
    await context.reply({ type: 'msgack', id: command.id, recipients: handedTo(stats) });
    return;
  }
  // Completed before: the count is not known any more, so the msgack carries none.
  await context.reply({ type: 'msgack', id: command.id });
};

/** A stored batch's messages as they are handed on: QoS 2, each with its own server id. */
function batchItemsOf(messages: readonly InboundMessage[]): BatchItem[] {
  return messages.map(({ messageId, ...message }) => ({ publication: { ...message, qos: 2 as const }, messageId }));
}
