import { handedTo } from '../../app/deliver.js';
import { handOn } from '../../app/hand-on.js';
import { recordAccepted } from '../../app/ingest.js';
import { messageExpiresAtOf } from '../../core/expiry.js';
import type { CommandHandler } from '../frame-context.js';
import { openController } from './open-controller.js';
import { publishBatch } from './publish-batch.js';

/**
 * PROTOCOL §2 publish, §4 client to server:
 * - QoS 0: handed on once, no answer.
 * - QoS 1: handed on (every pending entry stored, every send attempted), then `msgack`.
 * - QoS 2: stored under (session, id) by a conditional write, answered `pubrec`; a repeat is
 *   answered `pubrec` again and stored once. It is handed on at `pubrel` (MQTT method A).
 * A batched publish (`messages`) is publish-batch.ts's.
 */
export const publish: CommandHandler<'publish'> = async (command, context, deps) => {
  if ('messages' in command) return publishBatch(command, context, deps);
  await openController(command.controller, context, deps);
  const { connection, now } = context;
  const sender = { sessionId: connection.sessionId, connectionId: connection.connectionId };
  // PROTOCOL §4 per-message expiry: the message's end is fixed now, at its publish.
  const messageExpiresAt = messageExpiresAtOf(command.expiry, now);
  const publication = {
    controller: command.controller,
    topic: command.topic,
    data: command.data,
    qos: command.qos,
    retain: command.retain,
    ...(messageExpiresAt !== undefined ? { messageExpiresAt } : {}),
  };

  if (command.qos === 2) {
    const id = command.id as string;
    // Store first, answer after: the pubrec promises the message is kept.
    const stored = await deps.stores.inbound.putIfAbsent(
      {
        sessionId: connection.sessionId,
        id,
        ...publication,
        messageId: deps.newId(),
        receivedAt: now,
        connectionId: connection.connectionId,
        expiresAt: now + deps.policy.messageTtlMs,
      },
      now,
    );
    // A repeated publish (the client did not get our pubrec) is one message, counted once.
    if (stored.result === 'stored') deps.metrics?.count('Published', 1, 2);
    await context.reply({ type: 'pubrec', id, controller: command.controller });
    return;
  }

  const messageId = deps.newId();
  // PROTOCOL §11: recorded (history, sink) once its controller took it, before it is handed on and acknowledged.
  const stats = await handOn(deps, publication, sender, messageId, now, false, () =>
    recordAccepted(deps, [publication], { ...sender, clientMessageId: command.id, messageId }, now),
  );
  deps.metrics?.count('Published', 1, command.qos);
  // The count tells a publisher whether anybody got it (docs/protocol.md §2 msgack `recipients`).
  if (command.qos === 1) await context.reply({ type: 'msgack', id: command.id as string, controller: command.controller, recipients: handedTo(stats) });
};
