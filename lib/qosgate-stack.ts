import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { TABLES, type TableName } from '../lambdas/adapters/dynamodb/schema.js';
import { CALLBACK_URL_ENV, FANOUT_ENV, FANOUT_QUEUE_URL_ENV, SINK_ENV, SWEEP_ENV } from '../lambdas/config.js';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';
import { AUTHORIZER, FANOUT_PAGE, RESEND, ROUTES, SINK, ROUTE_SELECTION_EXPRESSION, type Access, type RouteSpec } from '../lambdas/routes.js';
import { Duration } from 'aws-cdk-lib';
import { FanoutQueue } from './constructs/fanout-queue.js';
import { IngestionSink } from './constructs/ingestion-sink.js';
import { firstSendsEnvironment, flowControlEnvironment, ingestEnvironment, policyEnvironment, resolveConfig, sweepEnvironment, sweepWindowMs, type QosgateConfig, type QosgateConfigInput } from './config.js';
import { ConnectAuthorizer } from './constructs/connect-authorizer.js';
import { Monitoring } from './constructs/monitoring.js';
import type { FunctionLogs } from './constructs/qos-function.js';
import { ResendSchedule } from './constructs/resend-schedule.js';
import { RouteFunctions } from './constructs/route-functions.js';
import { Storage, tableConstructId } from './constructs/storage.js';
import { QosWebSocketApi } from './constructs/websocket-api.js';

export interface QosgateStackProps extends StackProps {
  /** Stage name and policy/sweep overrides; defaults from lib/config.ts. */
  config?: QosgateConfigInput;
}

/** The functions that accept client messages, so record them for history and the sink (PROTOCOL §10-11). */
export const RECORDING_FUNCTIONS = ['Publish', 'Pubrel', 'Default'];

/** What a function may do to a table it is granted, by RouteSpec access. */
const TABLE_GRANTS: Record<Access, (table: TableV2, fn: IFunction) => void> = {
  read: (table, fn) => table.grantReadData(fn),
  readWrite: (table, fn) => table.grantReadWriteData(fn),
  write: (table, fn) => table.grantWriteData(fn),
};

/**
 * qosgate: the tables, one function per route of ROUTES, the WebSocket API routing to them,
 * the scheduled resend sweep, and the dashboard and alarms watching them. The constructs know nothing of each other; this stack wires
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
  readonly fanout: FanoutQueue;
  readonly monitoring: Monitoring;
  /** The ingestion sink (absent with `qosgate:sink` `{"enabled": false}`). */
  readonly sink?: IngestionSink;
  /** The `$connect` authorizer (absent with `qosgate:authRequired=false`). */
  readonly connectAuthorizer?: ConnectAuthorizer;

  constructor(scope: Construct, id: string, props: QosgateStackProps = {}) {
    super(scope, id, props);
    this.config = resolveConfig(props.config);

    const { config } = this;
    // A production stage keeps its data and logs when the stack goes; a dev stage cleans up.
    const logs: FunctionLogs = {
      level: config.logLevel,
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      sourceMaps: config.sourceMaps,
    };
    this.storage = new Storage(this, 'Storage', { retainData: config.retainData });
    this.webSocket = new QosWebSocketApi(this, 'WebSocket', {
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      stageName: config.stageName,
      throttle: config.throttle,
      accessLogs: logs,
    });

    // Every function wires its connection gateway at cold start (lambdas/entry/wiring.ts), so
    // each gets the callback URL; only the ManageConnections grant decides whether it may use it.
    const common = { [CALLBACK_URL_ENV]: this.webSocket.callbackUrl, ...policyEnvironment(config.policy), ...flowControlEnvironment(config.flowControl), ...firstSendsEnvironment(config.firstSends), ...ingestEnvironment(config.ingestTopics) };
    this.routeFunctions = new RouteFunctions(this, 'RouteFunctions', {
      routes: ROUTES,
      environment: common,
      logs,
      ...(config.policy.releaseLeaseMs !== undefined ? { releaseLeaseMs: config.policy.releaseLeaseMs } : {}),
    });
    if (config.authRequired) {
      this.connectAuthorizer = new ConnectAuthorizer(this, 'ConnectAuthorizer', {
        spec: AUTHORIZER,
        ...(config.jwksUrl !== undefined ? { jwksUrl: config.jwksUrl } : {}),
        ...(config.jwtIssuer !== undefined ? { issuer: config.jwtIssuer } : {}),
        ...(config.jwtAudience !== undefined ? { audience: config.jwtAudience } : {}),
        ...(config.jwtClockToleranceSeconds !== undefined ? { clockToleranceSeconds: config.jwtClockToleranceSeconds } : {}),
        logs,
        secretRemovalPolicy: logs.removalPolicy,
      });
      this.grantAsSpecified(AUTHORIZER, this.connectAuthorizer.handler);
    }
    // Before the routes' grants: the functions that hand messages on queue the rest of a large audience here.
    const ttlSeconds = Math.ceil((config.policy.messageTtlMs ?? DEFAULT_POLICY.messageTtlMs) / 1000);
    this.fanout = new FanoutQueue(this, 'Fanout', {
      spec: FANOUT_PAGE,
      settings: config.fanout,
      // SQS keeps a message 60 s to 14 days; a job older than its message's TTL would only be dead-lettered.
      retention: Duration.seconds(Math.min(1_209_600, Math.max(60, ttlSeconds))),
      environment: common,
      logs,
    });
    this.fanout.worker.addEnvironment(FANOUT_ENV.leaseMs, String(this.fanout.leaseMs));
    this.grantAsSpecified(FANOUT_PAGE, this.fanout.worker);

    for (const spec of ROUTES) {
      const fn = this.routeFunctions.functionFor(spec);
      this.webSocket.addLambdaRoute(spec, fn, spec.routeKey === '$connect' ? this.connectAuthorizer?.authorizer : undefined);
      this.grantAsSpecified(spec, fn);
    }

    this.resend = new ResendSchedule(this, 'ResendSchedule', {
      spec: RESEND,
      sweepWindowMs: sweepWindowMs(this.config.sweep),
      environment: { ...common, ...sweepEnvironment(config.sweep) },
      logs,
    });
    this.grantAsSpecified(RESEND, this.resend.handler);

    if (config.sink.enabled) {
      this.sink = new IngestionSink(this, 'IngestionSink', { spec: SINK, history: this.storage.tables.history, settings: config.sink, retainData: config.retainData, logs });
      // The functions that record client messages (PROTOCOL §11; $default takes text-frame publishes) are told the sink is on.
      for (const spec of ROUTES.filter((r) => RECORDING_FUNCTIONS.includes(r.id))) this.routeFunctions.functionFor(spec).addEnvironment(SINK_ENV.enabled, 'true');
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stageName: config.stageName,
      // Not the authorizer: refusing a bad token is a Lambda error by API Gateway's contract
      // (`Unauthorized`), so an errors alarm on it would fire on every bad handshake.
      functions: [
        ...this.routeFunctions.all,
        { id: RESEND.id, fn: this.resend.handler },
        { id: FANOUT_PAGE.id, fn: this.fanout.worker },
        ...(this.sink ? [{ id: SINK.id, fn: this.sink.handler }] : []),
      ],
      apiId: this.webSocket.api.apiId,
      tables: this.storage.tables,
      resendAlarmThreshold: config.resendAlarmThreshold,
      ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
      fanout: { queue: this.fanout.queue, deadLetterQueue: this.fanout.deadLetterQueue, oldestMessageAlarmSeconds: config.fanout.oldestMessageAlarmSeconds },
      ...(this.sink ? { sink: { fn: this.sink.handler, deliveryStreamName: this.sink.deliveryStream.ref, deadLetterQueue: this.sink.deadLetterQueue, freshnessAlarmSeconds: 3 * config.sink.bufferingSeconds + 300 } } : {}),
    });

    this.addOutputs();
  }

  /**
   * Least privilege, from the RouteSpec alone: each listed table with its access (and its name
   * in the function's environment, so a function is told of exactly the tables it may use),
   * and ManageConnections on this API's stage only where the spec says so.
   */
  private grantAsSpecified(spec: Pick<RouteSpec, 'tables' | 'manageConnections' | 'pageQueue'>, fn: LambdaFunction): void {
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
    if (spec.pageQueue) {
      // Sending is all a publisher may do; the worker's receive and delete come with its event
      // source mapping (FanoutQueue), and it sends too: each span job queues its pages and the next span.
      this.fanout.queue.grant(fn, 'sqs:SendMessage');
      fn.addEnvironment(FANOUT_QUEUE_URL_ENV, this.fanout.queue.queueUrl);
      fn.addEnvironment(FANOUT_ENV.inlinePageSize, String(this.config.fanout.inlinePageSize));
      fn.addEnvironment(FANOUT_ENV.jobPageSize, String(this.config.fanout.jobPageSize));
      fn.addEnvironment(FANOUT_ENV.spanPages, String(this.config.fanout.spanPages));
    }
    this.acknowledgeGrantWildcards(spec, fn);
  }

  /**
   * cdk-nag AwsSolutions-IAM5 flags the two wildcards these grants contain, each as narrow as
   * IAM allows, so each finding is acknowledged by its exact resource, nothing broader:
   * `<table>/index/*` (Query on the indexes of a table this function reads: the resend index,
   * bySession) and `<api>/<stage>/*\/@connections/*` (this stage's management API, for
   * connection ids that exist only at run time).
   */
  private acknowledgeGrantWildcards(spec: Pick<RouteSpec, 'tables' | 'manageConnections'>, fn: LambdaFunction): void {
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (!policy) return;
    for (const name of Object.keys(spec.tables) as TableName[]) {
      if (TABLES[name].indexes.length === 0 || spec.tables[name] === 'write') continue;
      const table = this.getLogicalId(this.storage.tables[name].node.defaultChild as CfnElement);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${table}.Arn>/index/*]`,
        reason: `Query on the indexes of the ${name} table only, which this function reads by its RouteSpec (a read grant covers the table's indexes).`,
      });
    }
    if (spec.manageConnections) {
      const api = this.getLogicalId(this.webSocket.api.node.defaultChild as CfnElement);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${api}>/${this.config.stageName}/*/@connections/*]`,
        reason: "execute-api:ManageConnections on this API's own stage; connection ids are known only at run time, so the id is the wildcard.",
      });
    }
  }

  private addOutputs(): void {
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocket.url, description: 'What clients connect to' });
    new CfnOutput(this, 'CallbackUrl', { value: this.webSocket.callbackUrl, description: 'The @connections management endpoint' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'The CloudWatch dashboard' });
    if (this.connectAuthorizer?.secret) {
      new CfnOutput(this, 'JwtSecretArn', { value: this.connectAuthorizer.secret.secretArn, description: 'The HS256 key tokens are signed with (qosgate token --secret)' });
    }
    if (this.sink) {
      new CfnOutput(this, 'SinkBucketName', { value: this.sink.bucket.bucketName, description: 'Where the ingestion sink writes (controller=/topic=/hour=/, docs/ingestion.md)' });
      new CfnOutput(this, 'SinkDeliveryStreamName', { value: this.sink.deliveryStream.ref, description: "The ingestion sink's Firehose stream" });
    }
    if (this.monitoring.topic) new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Where alarms are sent' });
    for (const [name, table] of Object.entries(this.storage.tables) as Array<[TableName, TableV2]>) {
      new CfnOutput(this, `${tableConstructId(name)}TableName`, { value: table.tableName, description: `The ${name} table (${TABLES[name].envVar})` });
    }
  }
}
