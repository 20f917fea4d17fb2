import { deliverTo } from '../../app/deliver.js';
import { grantedQos } from '../../core/qos.js';
import { isFilter } from '../../core/topic-filter.js';
import type { RetainedMessage } from '../../core/types.js';
import type { CommandHandler } from '../frame-context.js';
import { openController } from './open-controller.js';

/**
 * PROTOCOL §2 subscribe: answered `suback` with the granted QoS (min of asked and claimed);
 * then the topic's retained value, if any, at that QoS with `retained: true`; for a filter
 * (PROTOCOL §8), the retained value of every topic it matches.
 */
export const subscribe: CommandHandler<'subscribe'> = async (command, context, deps) => {
  await openController(command.controller, context, deps);
  const { connection, now } = context;
  const qos = grantedQos(command.qos, connection.claimedQos);
  const recipient = {
    sessionId: connection.sessionId,
    connectionId: connection.connectionId,
    sessionKind: connection.sessionKind,
    claimedQos: connection.claimedQos,
    format: connection.format,
    subscriptionQos: qos,
  };
  // A persistent session's subscriptions outlive the connection (PROTOCOL §1 session).
  const lifetime = deps.policy.connectionTtlMs + (connection.sessionKind === 'persistent' ? deps.policy.sessionTtlMs : 0);
  await deps.stores.subscriptions.put({ ...recipient, controller: command.controller, topic: command.topic, expiresAt: now + lifetime });
  await context.reply({ type: 'suback', controller: command.controller, topic: command.topic, qos });

  // PROTOCOL §8: a filter gets the retained value of every topic it matches, each under its own topic.
  const values = isFilter(command.topic)
    ? await deps.stores.retained.matching(command.controller, command.topic, now)
    : [await deps.stores.retained.get(command.controller, command.topic, now)].filter((value) => value !== undefined);
  for (const retained of values) {
    await deliverTo(deps, [recipient], { via: 'publish', controller: command.controller, topic: retained.topic, data: retained.data, qos, retained: true, ...retainedEnd(retained) }, deps.newId(), now);
  }
};

/** PROTOCOL §4: a retained value published with an expiry is handed on with the seconds it has left. */
function retainedEnd(retained: RetainedMessage): { expiresAt?: number } {
  return retained.messageExpiresAt !== undefined ? { expiresAt: retained.messageExpiresAt } : {};
}
