import { ProtocolError } from '../../core/errors.js';
import { historyFrames } from '../../core/history.js';
import { isHistoryOn, isIngested } from '../../core/ingest.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §10 history: a topic's stored messages, newest first, at most `limit`, in frames
 * under 32 KB (core/history.ts). The `subscribe` right is checked before (core/auth/grants.ts),
 * as for subscribe; it reads only the history table and opens no controller.
 */
export const history: CommandHandler<'history'> = async (command, context, deps) => {
  const { controller, topic, limit, since, before } = command;
  if (!isHistoryOn(deps.policy)) throw new ProtocolError('BAD_REQUEST', 'history is off in this deployment');
  deps.controllers.get(controller); // UNKNOWN_CONTROLLER, as for any frame naming a controller
  if (!isIngested(deps.policy, controller, topic)) throw new ProtocolError('BAD_REQUEST', `${controller}/${topic} is not recorded in this deployment (ingestTopics)`);
  // One more than asked for: where the page ends tells how the next one starts (core/history.ts).
  const page = await deps.stores.history.page(controller, topic, { limit: limit + 1, ...(since !== undefined ? { since } : {}), ...(before !== undefined ? { before } : {}) }, context.now);
  for (const frame of historyFrames(command, page.items, page.more)) await context.reply(frame);
};
