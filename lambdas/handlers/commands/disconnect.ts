import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §2 `disconnect`: a clean goodbye. The will is dropped and the record marked first,
 * so the `$disconnect` that the close brings publishes no will and says `client disconnect`
 * (PROTOCOL §9); then the server closes the connection (DeleteConnection). No answer frame:
 * the close is the answer.
 */
export const disconnect: CommandHandler<'disconnect'> = async (_command, context, deps) => {
  const { connectionId } = context.connection;
  await deps.stores.connections.markDisconnecting(connectionId);
  await deps.gateway.disconnect(connectionId);
};
