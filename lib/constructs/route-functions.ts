import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/routes.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';

/** Well under API Gateway's 29 s integration timeout, so a slow frame fails in Lambda, visibly. */
export const ROUTE_TIMEOUT = Duration.seconds(10);

export interface RouteFunctionsProps {
  /** The route table (ROUTES): one function per entry, with the entry's id as construct id. */
  routes: readonly RouteSpec[];
  /** Variables every route function gets (the policy overrides). */
  environment?: Record<string, string>;
  logs: FunctionLogs;
}

/**
 * One Lambda per WebSocket route. The functions get no access here: the stack grants each
 * exactly what its RouteSpec lists, next to the resources it grants on.
 */
export class RouteFunctions extends Construct {
  private readonly byRouteKey = new Map<string, QosFunction>();

  constructor(scope: Construct, id: string, props: RouteFunctionsProps) {
    super(scope, id);
    for (const spec of props.routes) {
      const fn = new QosFunction(this, spec.id, { entry: spec.entry, timeout: ROUTE_TIMEOUT, environment: props.environment, logs: props.logs });
      this.byRouteKey.set(spec.routeKey, fn);
    }
  }

  /** Every function, by its route-table id (`Connect`, `Publish`, ...). */
  get all(): Array<{ id: string; fn: QosFunction }> {
    return [...this.byRouteKey.values()].map((fn) => ({ id: fn.node.id, fn }));
  }

  /** The function built for a route of the table this construct was given. */
  functionFor(spec: Pick<RouteSpec, 'routeKey'>): QosFunction {
    const fn = this.byRouteKey.get(spec.routeKey);
    if (!fn) throw new Error(`qosgate: no function for route ${spec.routeKey}`);
    return fn;
  }
}
