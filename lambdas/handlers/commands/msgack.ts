import { sendHeld } from '../../app/flow-control.js';
import { ProtocolError } from '../../core/errors.js';
import { decideAcks } from '../../core/pending.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §2 msgack: ends QoS 1, completes QoS 2 after pubrel. Keys are always the sender's
 * own session, so a client can only ever ack its own messages; unknown ids are silent.
 */
export const msgack: CommandHandler<'msgack'> = async (command, context, deps) => {
  const { sessionId } = context.connection;
  const found = await deps.stores.pending.getMany(
    command.ids.map((id) => ({ sessionId, id })),
    context.now,
  );
  const { complete, outOfOrder } = decideAcks(command.ids, found);
  if (complete.length > 0) {
    // QoS 2 leaves a tombstone: a re-run of its hand-on must not send it again (PROTOCOL §4).
    await deps.stores.pending.complete(complete);
    for (const entry of complete) {
      deps.metrics?.count('Acked', 1, entry.qos);
      // The entries were read for decideAcks anyway, so the latency costs no extra request.
      deps.metrics?.latency('AckLatency', Math.max(0, context.now - entry.createdAt), entry.qos);
    }
    // Flow control: the acks freed room, so the oldest held messages go now.
    await sendHeld(deps, sessionId, context.connection.connectionId, context.reply, context.now);
  }
  if (outOfOrder.length > 0) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `msgack before pubrec for QoS 2 message${outOfOrder.length > 1 ? 's' : ''} ${outOfOrder.join(', ')}: answer pubrec first`,
      'msgack',
      outOfOrder[0],
    );
  }
};
