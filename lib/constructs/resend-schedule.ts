import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/routes.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';

/** EventBridge's finest rate; the function sweeps repeatedly within each invocation instead. */
export const RESEND_RATE = Duration.minutes(1);

/** Time the resend function gets beyond its sweep window to finish the last batch. */
export const RESEND_TIMEOUT_MARGIN = Duration.seconds(20);

export interface ResendScheduleProps {
  /** RESEND from the route table. */
  spec: Pick<RouteSpec, 'id' | 'entry'>;
  /** How long one invocation keeps sweeping (SWEEP_WINDOW_MS in effect); the timeout follows from it. */
  sweepWindowMs: number;
  /** The policy and sweep overrides. */
  environment?: Record<string, string>;
  logs: FunctionLogs;
}

/**
 * The resend sweep: a function that EventBridge invokes every minute. Its timeout is the
 * sweep window plus a margin (70 s for the default 50 s window), so a changed window can
 * never outlive its function.
 */
export class ResendSchedule extends Construct {
  readonly handler: QosFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: ResendScheduleProps) {
    super(scope, id);
    const timeout = Duration.seconds(Math.ceil(props.sweepWindowMs / 1000) + RESEND_TIMEOUT_MARGIN.toSeconds());
    this.handler = new QosFunction(this, props.spec.id, {
      entry: props.spec.entry,
      timeout,
      environment: props.environment,
      logs: props.logs,
      // The next tick is the retry: Lambda re-running a failed sweep would only overlap it.
      retryAttempts: 0,
    });
    this.rule = new Rule(this, 'Rule', {
      description: 'qosgate: resend unanswered QoS 1/2 steps that are due',
      schedule: Schedule.rate(RESEND_RATE),
      targets: [new LambdaFunction(this.handler)],
    });
  }
}
