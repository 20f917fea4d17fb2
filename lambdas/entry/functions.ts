import type { WebSocketEvent, WebSocketResult } from '../handlers/events.js';
import { AUTHORIZER, FANOUT_PAGE, RESEND, SINK } from '../routes.js';
import { createAuthorizerFunction } from './authorizer-function.js';
import { createFanoutPageFunction } from './fanout-page-function.js';
import type { Env, LambdaHandler } from './lambda-handler.js';
import { createResendFunction } from './resend-function.js';
import { createRouteFunction } from './route-function.js';
import { createSinkFunction } from './sink-function.js';
import type { WiringOverrides } from './wiring.js';

export { flushingMetrics, type LambdaHandler } from './lambda-handler.js';
export type RouteHandler = (event: WebSocketEvent) => Promise<WebSocketResult>;

/**
 * Every function of the stack, by its id in the route table, built from an environment. The
 * local runtime calls this with the environment the synthesized template gives each function;
 * each Lambda entry file calls its own builder (route-function.ts, resend-function.ts, ...) with
 * `process.env`, so that its bundle carries only its function's code (the Authorizer's jose and
 * Secrets Manager client stay out of the others), and both run the same code.
 */
export function createFunction(id: string, env: Env, overrides: WiringOverrides = {}): LambdaHandler {
  if (id === RESEND.id) return createResendFunction(env, overrides);
  if (id === FANOUT_PAGE.id) return createFanoutPageFunction(env, overrides);
  if (id === AUTHORIZER.id) return createAuthorizerFunction(env, overrides);
  if (id === SINK.id) return createSinkFunction(env, overrides);
  return createRouteFunction(id, env, overrides);
}
