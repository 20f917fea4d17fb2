import type { CommandHandler } from '../frame-context.js';

/** PROTOCOL §2 unsubscribe: answered `unsuback`, also when there was no subscription. */
export const unsubscribe: CommandHandler<'unsubscribe'> = async (command, context, deps) => {
  deps.controllers.get(command.controller);
  await deps.stores.subscriptions.delete(command.controller, command.topic, context.connection.sessionId);
  await context.reply({ type: 'unsuback', controller: command.controller, topic: command.topic });
};
