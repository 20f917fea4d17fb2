import { ProtocolError } from '../../core/errors.js';
import { resendDelay } from '../../core/policy.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §4 server to client, QoS 2: `pubrec` marks the message released and the server
 * answers `pubrel` (sent again until `msgack`). Once pubrec is in, the message itself is
 * never sent again. A pubrec for an unknown or finished id is answered `pubrel` as well,
 * which is harmless: the client answers msgack and that is silent.
 */
export const pubrec: CommandHandler<'pubrec'> = async (command, context, deps) => {
  const { sessionId } = context.connection;
  const dueAt = context.now + resendDelay(deps.policy, 1);
  const released = await deps.stores.pending.release({ sessionId, id: command.id }, dueAt, context.now);
  if (released.result === 'not-qos2') {
    throw new ProtocolError('BAD_REQUEST', `message ${command.id} is QoS 1: answer it with msgack`, 'pubrec', command.id);
  }
  const controller = 'entry' in released ? released.entry.controller : undefined;
  await context.reply({ type: 'pubrel', id: command.id, ...(controller ? { controller } : {}) });
};
