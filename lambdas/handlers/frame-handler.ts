import { ConnectionCache } from '../app/connection-cache.js';
import { RateLimiter } from '../app/rate-limiter.js';
import type { AppDeps } from '../app/deps.js';
import { frameSummary, sendFrame } from '../app/sender.js';
import { checkCommand, grantsFromContext } from '../core/auth/grants.js';
import { ProtocolError } from '../core/errors.js';
import { parseFrame } from '../core/frames/parse-frame.js';
import type { Action, Command, ServerFrame } from '../core/types.js';
import { OK, type WebSocketEvent, type WebSocketResult } from './events.js';
import type { CommandHandler, CommandHandlers, FrameContext } from './frame-context.js';
import { errorText } from '../ports/logger.js';

/**
 * The shell around every frame route: parse, look up the connection, dispatch to the
 * action's handler, and turn every client mistake into an error frame (PROTOCOL §3). It
 * always returns 200: a bad frame is answered, the connection stays open, nothing pending
 * is lost, and API Gateway never sees an unhandled error for a client's mistake.
 */
export function createFrameHandler(
  deps: AppDeps,
  handlers: CommandHandlers,
  cache: ConnectionCache = new ConnectionCache(deps.stores.connections),
  limiter: RateLimiter = new RateLimiter({ perSecond: deps.policy.rateLimitPerSecond, burst: deps.policy.rateLimitBurst }),
): (event: WebSocketEvent) => Promise<WebSocketResult> {
  return async (event) => {
    const now = deps.clock.now();
    const { connectionId } = event.requestContext;
    const raw = frameBody(event);
    let command: Command | undefined;
    let context: FrameContext | undefined;
    try {
      const connection = await cache.get(connectionId, now);
      // The format is known only once the connection is; until then errors go out as JSON.
      const format = connection?.format ?? 'json';
      context = {
        connection: connection as NonNullable<typeof connection>,
        now,
        receivedAt: Math.min(now, event.requestContext.requestTimeEpoch ?? now),
        cache,
        reply: (frame: ServerFrame) => sendFrame(deps, { connectionId, format }, frame),
      };
      // PROTOCOL §3 RATE_LIMITED: every frame takes a token, even one that fails to parse.
      const allowed = limiter.allow(connectionId, now);
      command = parseFrame(raw, { maxDataBytes: deps.policy.maxDataBytes, maxExpirySeconds: Math.floor(deps.policy.messageTtlMs / 1000) });
      deps.log.info('In', { connectionId, ...frameSummary(command) });
      if (!allowed) {
        throw new ProtocolError('RATE_LIMITED', `over ${deps.policy.rateLimitPerSecond} frames a second (burst ${deps.policy.rateLimitBurst}): this frame was not handled; send it again later`);
      }
      if (!connection) throw new ProtocolError('BAD_REQUEST', 'this connection is not registered (it may have expired): reconnect');
      // PROTOCOL §3 FORBIDDEN: the grants the $connect authorizer gave this connection (none with auth off).
      checkCommand(grantsFromContext(event.requestContext.authorizer), command);
      const handler = handlers[command.action] as CommandHandler<Action> | undefined;
      if (!handler) throw new ProtocolError('UNKNOWN_ACTION', `action "${command.action}" is not served on route ${event.requestContext.routeKey}`);
      await handler(command as never, context, deps);
    } catch (error) {
      const action = command?.action;
      const id = command && 'id' in command ? command.id : command?.action === 'msgack' ? command.ids[0] : undefined;
      let answer: ProtocolError;
      if (error instanceof ProtocolError) {
        answer = error.about(action, id);
        deps.log.info('In: refused', { connectionId, code: answer.code, message: answer.message, action, id });
      } else {
        // Not the client's fault: log the cause, tell the client only that it failed.
        deps.log.error('Handler failed', { connectionId, action, id, error: errorText(error) });
        answer = new ProtocolError('INTERNAL', 'the server could not handle this frame; send it again', action, id);
      }
      const reply = context?.reply ?? ((frame: ServerFrame) => sendFrame(deps, { connectionId, format: 'json' }, frame));
      await reply(answer.toFrame());
    }
    return OK;
  };
}

/** The frame's text. API Gateway hands text frames over as-is; a base64 body is decoded. */
function frameBody(event: WebSocketEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}
