import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { TABLES, type TableName } from '../lambdas/adapters/dynamodb/schema.js';
import { CALLBACK_URL_ENV, SWEEP_ENV } from '../lambdas/config.js';
import { RESEND, ROUTES, ROUTE_SELECTION_EXPRESSION, type Access, type RouteSpec } from '../lambdas/routes.js';
import { policyEnvironment, resolveConfig, sweepEnvironment, sweepWindowMs, type QosgateConfig } from './config.js';
import { ResendSchedule } from './constructs/resend-schedule.js';
import { RouteFunctions } from './constructs/route-functions.js';
import { Storage, tableConstructId } from './constructs/storage.js';
import { QosWebSocketApi } from './constructs/websocket-api.js';

export interface QosgateStackProps extends StackProps {
  /** Stage name and policy/sweep overrides; defaults from lib/config.ts. */
  config?: Partial<QosgateConfig>;
}

/** What a function may do to a table it is granted, by RouteSpec access. */
const TABLE_GRANTS: Record<Access, (table: TableV2, fn: IFunction) => void> = {
  read: (table, fn) => table.grantReadData(fn),
  readWrite: (table, fn) => table.grantReadWriteData(fn),
  write: (table, fn) => table.grantWriteData(fn),
};

/**
 * qosgate: the tables, one function per route of ROUTES, the WebSocket API routing to them,
 * and the scheduled resend sweep. The constructs know nothing of each other; this stack wires
 * them and holds every grant, each taken from the function's RouteSpec and nothing more.
 *
 * ```
 *  client ──wss──▶ WebSocket API ──route key──▶ route function ──▶ tables
 *                       ▲                              │
 *                       └──── @connections (POST) ─────┘◀── resend function ◀── EventBridge 1/min
 * ```
 */
export class QosgateStack extends Stack {
  readonly config: QosgateConfig;
  readonly storage: Storage;
  readonly webSocket: QosWebSocketApi;
  readonly routeFunctions: RouteFunctions;
  readonly resend: ResendSchedule;

  constructor(scope: Construct, id: string, props: QosgateStackProps = {}) {
    super(scope, id, props);
    this.config = resolveConfig(props.config);

    this.storage = new Storage(this, 'Storage');
    this.webSocket = new QosWebSocketApi(this, 'WebSocket', {
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      stageName: this.config.stageName,
    });

    // Every function wires its connection gateway at cold start (lambdas/entry/wiring.ts), so
    // each gets the callback URL; only the ManageConnections grant decides whether it may use it.
    const common = { [CALLBACK_URL_ENV]: this.webSocket.callbackUrl, ...policyEnvironment(this.config.policy) };
    this.routeFunctions = new RouteFunctions(this, 'RouteFunctions', { routes: ROUTES, environment: common });
    for (const spec of ROUTES) {
      const fn = this.routeFunctions.functionFor(spec);
      this.webSocket.addLambdaRoute(spec, fn);
      this.grantAsSpecified(spec, fn);
    }

    this.resend = new ResendSchedule(this, 'ResendSchedule', {
      spec: RESEND,
      sweepWindowMs: sweepWindowMs(this.config.sweep),
      environment: { ...common, ...sweepEnvironment(this.config.sweep) },
    });
    this.grantAsSpecified(RESEND, this.resend.handler);

    this.addOutputs();
  }

  /**
   * Least privilege, from the RouteSpec alone: each listed table with its access (and its name
   * in the function's environment, so a function is told of exactly the tables it may use),
   * and ManageConnections on this API's stage only where the spec says so.
   */
  private grantAsSpecified(spec: Pick<RouteSpec, 'tables' | 'manageConnections'>, fn: LambdaFunction): void {
    for (const [name, access] of Object.entries(spec.tables) as Array<[TableName, Access]>) {
      const table = this.storage.tables[name];
      TABLE_GRANTS[access](table, fn);
      fn.addEnvironment(TABLES[name].envVar, table.tableName);
    }
    // Whoever writes pending entries picks their resend shard, so a changed shard count must
    // reach the writers too, not just the sweep that reads the shards.
    const shards = this.config.sweep.shards;
    if (shards !== undefined && spec.tables.pending !== undefined && spec.tables.pending !== 'read') {
      fn.addEnvironment(SWEEP_ENV.shards, String(shards));
    }
    if (spec.manageConnections) this.webSocket.grantManageConnections(fn);
  }

  private addOutputs(): void {
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocket.url, description: 'What clients connect to' });
    new CfnOutput(this, 'CallbackUrl', { value: this.webSocket.callbackUrl, description: 'The @connections management endpoint' });
    for (const [name, table] of Object.entries(this.storage.tables) as Array<[TableName, TableV2]>) {
      new CfnOutput(this, `${tableConstructId(name)}TableName`, { value: table.tableName, description: `The ${name} table (${TABLES[name].envVar})` });
    }
  }
}
