import { handedTo } from '../../app/deliver.js';
import { handOn } from '../../app/hand-on.js';
import { messageExpiresAtOf } from '../../core/expiry.js';
import type { CommandHandler } from '../frame-context.js';
import { openController } from './open-controller.js';

/**
 * PROTOCOL §2 publish, §4 client to server:
 * - QoS 0: handed on once, no answer.
 * - QoS 1: handed on (every pending entry stored, every send attempted), then `msgack`.
 * - QoS 2: stored under (session, id) by a conditional write, answered `pubrec`; a repeat is
 *   answered `pubrec` again and stored once. It is handed on at `pubrel` (MQTT method A).
 */
export const publish: CommandHandler<'publish'> = async (command, context, deps) => {
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

  // TEMPORARY (branch h16/sink, marked for the lead: replaced by the history helper's hot-path
  // write when the branches merge). One history record per accepted QoS 0/1 message, BEFORE the
  // hand-on and the msgack (PROTOCOL §11: the history table's stream feeds the sink), so the
  // sink's end-to-end tests run through the real publish path. QoS 1's messageId is stable across
  // the client's resends (<sessionId>:<client id>); QoS 0's the hand-on's own server id.
  // Best effort in this stub only (a record the store cannot take, e.g. data nested past its limits,
  // must not turn a valid publish into INTERNAL); the real write refuses or fails the publish instead.
  const serverId = deps.newId();
  await deps.stores.history.append([
    {
      controller: command.controller,
      topic: command.topic,
      data: command.data,
      qos: command.qos,
      clientId: connection.sessionId,
      receivedAt: now,
      messageId: command.qos === 1 ? `${connection.sessionId}:${command.id as string}` : serverId,
      expiresAt: now + 7 * 86_400_000,
    },
  ]).catch((error: unknown) => deps.log.warn('History write failed (temporary sink stub)', { error: String(error) }));
  const stats = await handOn(deps, publication, sender, serverId, now);
  deps.metrics?.count('Published', 1, command.qos);
  // The count tells a publisher whether anybody got it (docs/protocol.md §2 msgack `recipients`).
  if (command.qos === 1) await context.reply({ type: 'msgack', id: command.id as string, controller: command.controller, recipients: handedTo(stats) });
};
