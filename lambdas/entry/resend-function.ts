import { readSweep } from '../config.js';
import { createResendHandler } from '../handlers/resend.js';
import { RESEND } from '../routes.js';
import { flushingMetrics, type Env, type LambdaHandler } from './lambda-handler.js';
import { productionDeps, type WiringOverrides } from './wiring.js';

/** The scheduled resend sweep's function. */
export function createResendFunction(env: Env, overrides: WiringOverrides = {}): LambdaHandler {
  const deps = productionDeps(RESEND, env, overrides);
  return flushingMetrics(createResendHandler(deps, readSweep(env)) as LambdaHandler, deps.metrics, deps.log);
}
