import { createAuthorizeHandler } from '../handlers/authorize.js';
import { authorizerDeps } from './authorizer-wiring.js';
import { flushingMetrics, type Env, type LambdaHandler } from './lambda-handler.js';
import type { WiringOverrides } from './wiring.js';

/** The `$connect` REQUEST authorizer's function. */
export function createAuthorizerFunction(env: Env, overrides: WiringOverrides = {}): LambdaHandler {
  const deps = authorizerDeps(env, overrides);
  return flushingMetrics(createAuthorizeHandler(deps) as LambdaHandler, deps.metrics, deps.log);
}
