import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import { ROUTE_TIMEOUT_SECONDS, type RouteSpec } from '../../lambdas/routes.js';
import { ConfigError } from '../config.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';

/** The route table's ROUTE_TIMEOUT_SECONDS: well under API Gateway's 29 s integration timeout. */
export const ROUTE_TIMEOUT = Duration.seconds(ROUTE_TIMEOUT_SECONDS);

/**
 * A `pubrel` holds the QoS 2 record for `releaseLeaseMs` while it hands the message on, and a
 * first hand-on stores its entries unconditionally (batched), trusting that no re-run overlaps
 * it. A route Lambda cannot outlive ROUTE_TIMEOUT, so a lease of at least twice that keeps a
 * re-run (after the lease) from ever running beside a slow first run (PROTOCOL §4, QoS 2).
 */
export function checkReleaseLease(releaseLeaseMs: number): void {
  const floor = 2 * ROUTE_TIMEOUT.toMilliseconds();
  if (releaseLeaseMs < floor) {
    throw new ConfigError(
      `qosgate: policy.releaseLeaseMs must be at least ${floor} (twice the route functions' ${ROUTE_TIMEOUT.toSeconds()} s timeout), got ${releaseLeaseMs}: a shorter lease would let a re-run of a QoS 2 hand-on overlap a slow first run`,
    );
  }
}

export interface RouteFunctionsProps {
  /** The route table (ROUTES): one function per entry, with the entry's id as construct id. */
  routes: readonly RouteSpec[];
  /** Variables every route function gets (the policy overrides). */
  environment?: Record<string, string>;
  /** The pubrel lease in effect (checked against the route timeout: checkReleaseLease). */
  releaseLeaseMs?: number;
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
    checkReleaseLease(props.releaseLeaseMs ?? DEFAULT_POLICY.releaseLeaseMs);
    for (const spec of props.routes) {
      const fn = new QosFunction(this, spec.id, { entry: spec.entry, timeout: ROUTE_TIMEOUT, memorySize: spec.memoryMb, environment: props.environment, logs: props.logs });
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
