import { FANOUT_QUEUE_URL_ENV } from '../config.js';
import { createFanoutPageHandler } from '../handlers/fanout-page.js';
import { FANOUT_PAGE } from '../routes.js';
import { flushingMetrics, type Env, type LambdaHandler } from './lambda-handler.js';
import { productionDeps, type WiringOverrides } from './wiring.js';

/** The fan-out page worker's function (the fan-out queue's event source mapping invokes it). */
export function createFanoutPageFunction(env: Env, overrides: WiringOverrides = {}): LambdaHandler {
  const deps = productionDeps(FANOUT_PAGE, env, overrides);
  const { fanout } = deps;
  if (!fanout) throw new Error(`qosgate: the ${FANOUT_PAGE.id} function needs ${FANOUT_QUEUE_URL_ENV} (the queue its pages chain on)`);
  return flushingMetrics(createFanoutPageHandler({ ...deps, fanout }) as LambdaHandler, deps.metrics, deps.log);
}
