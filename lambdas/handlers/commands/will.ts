import { ProtocolError } from '../../core/errors.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §2 `will`, §9: sets the connection's last will (or clears it), kept on its record,
 * answered `willack`. The will's controller must exist (UNKNOWN_CONTROLLER) and, with auth on,
 * be one the token may publish to (checked before this, as the publish it becomes).
 */
export const will: CommandHandler<'will'> = async (command, context, deps) => {
  if (command.will !== undefined) deps.controllers.get(command.will.controller);
  const { connection, now } = context;
  const set = await deps.stores.connections.setWill(connection.connectionId, command.will, now);
  // Its end was taken (a takeover, a disconnect on the way): a will set now would never be published.
  if (!set) throw new ProtocolError('BAD_REQUEST', 'this connection is ending: the will was not set');
  await context.reply({ type: 'willack' });
};
