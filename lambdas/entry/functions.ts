import { readSweep } from '../config.js';
import { ALL_COMMANDS } from '../handlers/commands/index.js';
import { createConnectHandler } from '../handlers/connect.js';
import { createDisconnectHandler } from '../handlers/disconnect.js';
import type { WebSocketEvent, WebSocketResult } from '../handlers/events.js';
import { createFrameHandler } from '../handlers/frame-handler.js';
import { createResendHandler, type RemainingTime } from '../handlers/resend.js';
import type { Action } from '../core/types.js';
import type { AppDeps } from '../app/deps.js';
import { errorText, type Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import { createAuthorizeHandler } from '../handlers/authorize.js';
import { AUTHORIZER, FANOUT_PAGE, RESEND, ROUTES, type RouteSpec } from '../routes.js';
import { createFanoutPageHandler } from '../handlers/fanout-page.js';
import { FANOUT_QUEUE_URL_ENV } from '../config.js';
import { authorizerDeps, productionDeps, type WiringOverrides } from './wiring.js';

type Env = Record<string, string | undefined>;

/** A Lambda handler as both API Gateway and the scheduler call it. */
export type LambdaHandler = (event: never, context?: RemainingTime) => Promise<unknown>;
export type RouteHandler = (event: WebSocketEvent) => Promise<WebSocketResult>;

/**
 * Every function of the stack, by its id in the route table, built from an environment.
 * The Lambda entry files call this with `process.env`; the local runtime calls it with the
 * environment the synthesized template gives each function, so both run the same code.
 */
export function createFunction(id: string, env: Env, overrides: WiringOverrides = {}): LambdaHandler {
  if (id === RESEND.id) {
    const deps = productionDeps(RESEND, env, overrides);
    return flushingMetrics(createResendHandler(deps, readSweep(env)) as LambdaHandler, deps.metrics, deps.log);
  }
  if (id === FANOUT_PAGE.id) {
    const deps = productionDeps(FANOUT_PAGE, env, overrides);
    const { fanout } = deps;
    if (!fanout) throw new Error(`qosgate: the ${FANOUT_PAGE.id} function needs ${FANOUT_QUEUE_URL_ENV} (the queue its pages chain on)`);
    return flushingMetrics(createFanoutPageHandler({ ...deps, fanout }) as LambdaHandler, deps.metrics, deps.log);
  }
  if (id === AUTHORIZER.id) {
    const deps = authorizerDeps(env, overrides);
    return flushingMetrics(createAuthorizeHandler(deps) as LambdaHandler, deps.metrics, deps.log);
  }
  const route = ROUTES.find((r) => r.id === id);
  if (!route) throw new Error(`qosgate: no function with id ${id}`);
  const deps = productionDeps(route, env, overrides);
  return flushingMetrics(routeHandler(route, deps), deps.metrics, deps.log);
}

function routeHandler(route: RouteSpec, deps: AppDeps): LambdaHandler {
  switch (route.routeKey) {
    case '$connect':
      return createConnectHandler(deps) as LambdaHandler;
    case '$disconnect':
      return createDisconnectHandler(deps) as LambdaHandler;
    case '$default':
      return createFrameHandler(deps, ALL_COMMANDS) as LambdaHandler;
    default: {
      const action = route.routeKey as Action;
      return createFrameHandler(deps, { [action]: ALL_COMMANDS[action] }) as LambdaHandler;
    }
  }
}

/**
 * Writes the invocation's metrics when it ends, failed or not: once per invocation, here,
 * rather than in every command (the middy-less equivalent of Powertools' logMetrics).
 */
export function flushingMetrics(handler: LambdaHandler, metrics: Metrics, log: Logger): LambdaHandler {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } finally {
      try {
        metrics.flush();
      } catch (error) {
        // Telemetry never fails an invocation (nor replaces the handler's own error).
        log.error('Metrics flush failed', { error: errorText(error) });
      }
    }
  };
}
