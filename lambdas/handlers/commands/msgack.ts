import { afterAcks } from '../../app/flow-control.js';
import { idTime, isQos1Id } from '../../core/delivery.js';
import { ProtocolError } from '../../core/errors.js';
import { decideAcks } from '../../core/pending.js';
import type { PendingEntry } from '../../core/types.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §2 msgack: ends QoS 1, completes QoS 2 after pubrel. Keys are always the sender's
 * own session, so a client can only ever ack its own messages; unknown ids are silent.
 *
 * The id says which path (core/delivery.ts recipientId): an id of a QoS 1 delivery is
 * acknowledged blind (PendingStore.acknowledge: batched writes, no read of the entries; an
 * unknown id is harmless); any other id is read
 * first, because a QoS 2 entry is completed only after its pubrec, leaving a tombstone, and acked
 * before its pubrec it is out of order (PROTOCOL §4).
 */
export const msgack: CommandHandler<'msgack'> = async (command, context, deps) => {
  const { sessionId, connectionId } = context.connection;
  const { now } = context;
  const blind = command.ids.filter(isQos1Id);
  const read = command.ids.filter((id) => !isQos1Id(id));
  // When the oldest acked message was handed on, for lazy flow control (a slow client shows here).
  let oldest: number | undefined;
  const handedOn = (at: number) => {
    oldest = oldest === undefined ? at : Math.min(oldest, at);
  };

  if (blind.length > 0) {
    await deps.stores.pending.acknowledge(sessionId, blind, now);
    for (const id of blind) {
      // Counted as acked as the client says: without a read, a repeated ack counts again.
      deps.metrics?.count('Acked', 1, 1);
      // The time at the start of the id (app/ids.ts) gives the latency without reading the entry.
      const at = idTime(id, now, deps.policy.messageTtlMs + deps.policy.expiryGraceMs);
      if (at !== undefined) {
        deps.metrics?.latency('AckLatency', now - at, 1);
        handedOn(at);
      }
    }
  }

  let complete: PendingEntry[] = [];
  let outOfOrder: string[] = [];
  if (read.length > 0) {
    const found = await deps.stores.pending.getMany(
      read.map((id) => ({ sessionId, id })),
      now,
    );
    ({ complete, outOfOrder } = decideAcks(read, found));
    if (complete.length > 0) {
      // QoS 2 leaves a tombstone: a re-run of its hand-on must not send it again (PROTOCOL §4).
      await deps.stores.pending.complete(complete);
      for (const entry of complete) {
        deps.metrics?.count('Acked', 1, entry.qos);
        deps.metrics?.latency('AckLatency', Math.max(0, now - entry.createdAt), entry.qos);
        handedOn(entry.createdAt);
      }
    }
  }

  // Flow control: the acks freed room, so the oldest held messages go now (lazy: if flagged).
  if (blind.length > 0 || complete.length > 0) await afterAcks(deps, { sessionId, connectionId }, context.reply, now, oldest, context.receivedAt);

  if (outOfOrder.length > 0) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `msgack before pubrec for QoS 2 message${outOfOrder.length > 1 ? 's' : ''} ${outOfOrder.join(', ')}: answer pubrec first`,
      'msgack',
      outOfOrder[0],
    );
  }
};
