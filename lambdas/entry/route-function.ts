import type { AppDeps } from '../app/deps.js';
import type { Action } from '../core/types.js';
import { ALL_COMMANDS } from '../handlers/commands/index.js';
import { createConnectHandler } from '../handlers/connect.js';
import { createDisconnectHandler } from '../handlers/disconnect.js';
import { createFrameHandler } from '../handlers/frame-handler.js';
import { ROUTES, type RouteSpec } from '../routes.js';
import { flushingMetrics, type Env, type LambdaHandler } from './lambda-handler.js';
import { productionDeps, type WiringOverrides } from './wiring.js';

/** The function of one route of the route table (`$connect`, `publish`, ...), by its id. */
export function createRouteFunction(id: string, env: Env, overrides: WiringOverrides = {}): LambdaHandler {
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
