import { handedTo } from '../../app/deliver.js';
import { handOnAll, type BatchItem, type Publication } from '../../app/hand-on.js';
import { recordAccepted } from '../../app/ingest.js';
import { ProtocolError } from '../../core/errors.js';
import { messageExpiresAtOf } from '../../core/expiry.js';
import type { Command, InboundMessage } from '../../core/types.js';
import type { AppDeps } from '../../app/deps.js';
import type { FrameContext } from '../frame-context.js';
import { openController } from './open-controller.js';

type BatchCommand = Extract<Command, { messages: unknown }>;

/**
 * PROTOCOL §2 batched publish (`messages`), §4 client to server, one answer for the batch:
 * - QoS 0: each message handed on once, no answer.
 * - QoS 1: every message handed on, each with its own server id, then ONE `msgack` whose
 *   `recipients` is the sum over the messages (docs/protocol.md §2).
 * - QoS 2: the whole batch stored as ONE inbound record under (session, id), each message's
 *   server id fixed now; one `pubrec`; a repeat stores nothing. Handed on at `pubrel` (pubrel.ts).
 * Nothing is handed on unless every message passes: names checked by the parser, controllers
 * here, controller methods by handOnAll before any delivery.
 */
export async function publishBatch(command: BatchCommand, context: FrameContext, deps: AppDeps): Promise<void> {
  await openControllers(command, context, deps);
  const { connection, now } = context;
  const sender = { sessionId: connection.sessionId, connectionId: connection.connectionId };
  const count = command.messages.length;
  // The accepted publications, one list (the point where issue 16's history write records them).
  const publications: Publication[] = command.messages.map((message) => {
    // PROTOCOL §4 per-message expiry: each message's end is fixed now, at its publish.
    const messageExpiresAt = messageExpiresAtOf(message.expiry, now);
    return { controller: message.controller, topic: message.topic, data: message.data, qos: command.qos, retain: message.retain, ...(messageExpiresAt !== undefined ? { messageExpiresAt } : {}) };
  });

  if (command.qos === 2) {
    const id = command.id as string;
    const messages: InboundMessage[] = publications.map(({ qos: _qos, ...message }) => ({ ...message, messageId: deps.newId() }));
    const first = messages[0] as InboundMessage;
    // Store first, answer after: the pubrec promises the whole batch is kept.
    const stored = await deps.stores.inbound.putIfAbsent(
      {
        sessionId: connection.sessionId,
        id,
        controller: first.controller,
        topic: first.topic,
        data: null,
        retain: false,
        messageId: first.messageId,
        messages,
        receivedAt: now,
        connectionId: connection.connectionId,
        expiresAt: now + deps.policy.messageTtlMs,
      },
      now,
    );
    if (stored.result === 'stored') deps.metrics?.count('Published', count, 2);
    await context.reply({ type: 'pubrec', id });
    return;
  }

  const items: BatchItem[] = publications.map((publication) => ({ publication, messageId: deps.newId() }));
  // PROTOCOL §11: recorded (history, sink) once every controller took its message, before any is handed on and acknowledged.
  const stats = await handOnAll(deps, items, sender, now, false, () =>
    recordAccepted(deps, publications, { ...sender, ...(command.id !== undefined ? { clientMessageId: command.id } : {}), messageId: (items[0] as BatchItem).messageId }, now),
  );
  // Metrics count messages, not frames.
  deps.metrics?.count('Published', count, command.qos);
  if (command.qos === 1) await context.reply({ type: 'msgack', id: command.id as string, recipients: handedTo(stats) });
}

/**
 * PROTOCOL §1 "sending a frame to a controller opens it": every controller the batch names must
 * exist (UNKNOWN_CONTROLLER naming the message's index) before any is opened or anything handed on.
 */
async function openControllers(command: BatchCommand, context: FrameContext, deps: AppDeps): Promise<void> {
  command.messages.forEach((message, index) => {
    try {
      deps.controllers.get(message.controller);
    } catch (error) {
      if (error instanceof ProtocolError) throw new ProtocolError(error.code, `messages[${index}]: ${error.message}`);
      throw error;
    }
  });
  for (const controller of new Set(command.messages.map((m) => m.controller))) await openController(controller, context, deps);
}
