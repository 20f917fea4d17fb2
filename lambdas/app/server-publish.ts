import type { ServerPublication } from '../core/presence.js';
import { errorText } from '../ports/logger.js';
import type { AppDeps } from './deps.js';
import { handOn } from './hand-on.js';

/**
 * Completes a host's dependencies with {@link AppDeps.serverPublish}: every host (the Lambda
 * wiring, the tests' harness) builds its deps through this, so a will or a presence message
 * takes the one path a client's publish takes. `newId` mints their server ids (by default
 * `deps.newId`; a test host may count them apart from the clients' publishes).
 */
export function withServerPublish<D extends Omit<AppDeps, 'serverPublish'>>(deps: D, newId: () => string = () => deps.newId()): D & AppDeps {
  const full = deps as D & AppDeps;
  full.serverPublish = (publication, sender, now) => serverPublish(full, publication, sender, newId(), now);
  return full;
}

/**
 * A will or a presence message (PROTOCOL §9), handed on as if `sender` had published it: the
 * controller's method where one exists, else the topic's subscribers; retained if asked; flow
 * control as for any delivery. QoS 2 is handed on at once: there is no client to `pubrel` it.
 * A failure is logged, not thrown: the connection's end (its session's cleanup) goes on, and
 * the message is lost (docs/protocol.md §9 says when).
 */
async function serverPublish(deps: AppDeps, publication: ServerPublication, sender: { sessionId: string; connectionId: string }, messageId: string, now: number): Promise<void> {
  try {
    const stats = await handOn(deps, publication, sender, messageId, now);
    deps.log.info('Server publish', { controller: publication.controller, topic: publication.topic, qos: publication.qos, sessionId: sender.sessionId, ...stats });
  } catch (error) {
    deps.log.error('Server publish failed', { controller: publication.controller, topic: publication.topic, sessionId: sender.sessionId, error: errorText(error) });
  }
}
