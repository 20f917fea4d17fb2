import type { CommandHandler } from '../frame-context.js';

/** PROTOCOL §2 ping: `pong`, which keeps an idle connection under API Gateway's 10 minute limit. */
export const ping: CommandHandler<'ping'> = async (_command, context) => {
  await context.reply({ type: 'pong' });
};
