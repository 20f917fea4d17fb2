import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createFunction, type LambdaHandler } from '../lambdas/entry/functions.js';
import type { WiringOverrides } from '../lambdas/entry/wiring.js';
import type { Logger } from '../lambdas/ports/logger.js';
import { ensureTables } from './dynamodb/create-tables-from-template.js';
import { DYNAMODB_LOCAL_HOST, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb/dynamodb-local-process.js';
import { lockDataFolder } from './data-folder-lock.js';
import { freePort } from './free-port.js';
import { assertPortFree, freePortOn } from './port-check.js';
import { createDashboard } from './dashboard/index.js';
import { silentFrameLog, type FrameLog } from './frame-log.js';
import { assertConcurrencyLimit, startGateway, type Gateway, type GatewayFunction, type GatewayRoutes } from './gateway/index.js';
import { writeRuntimeFile } from './runtime-file.js';
import { startSchedules, type Schedules } from './schedules.js';
import { startEventSourceMapping, type EventSourceMapping } from './sqs/event-source-mapping.js';
import { startFirehoseServer, type FirehoseServer } from './firehose/firehose-server.js';
import { startStreamMapping, type StreamMapping } from './streams/stream-mapping.js';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { SqsEngine } from './sqs/sqs-engine.js';
import { startSqsServer, type SqsServer } from './sqs/sqs-server.js';
import { resolveEnvironment, type AppModel } from './template/app-model.js';
import type { CfnTemplate } from './template/cfn-template.js';
import { LOCAL_API_ID } from './iam/function-policies.js';
import { IAM_HOOK_MODULE, localIam } from './iam/runtime-iam.js';
import type { FunctionPolicy } from './iam/sdk-iam-middleware.js';
import { LOCAL_STATE_DIR } from './template/synth.js';
import { bundledModeGuard, startBundledMode, synthForMode, type BundledModeOptions } from './lambda/bundled-mode.js';

export interface LocalRuntimeOptions {
  host?: string;
  /** WebSocket and management API port (default 3001; 0 picks a free one). */
  port?: number;
  /** DynamoDB Local's data folder (file-backed); ignored with `inMemory`. */
  dataDir?: string;
  inMemory?: boolean;
  /** CDK context for the synth, e.g. { 'qosgate:policy': { ackTimeoutMs: 500 } }. */
  context?: Record<string, unknown>;
  /** API Gateway's limits, shortened in tests. */
  idleTimeoutMs?: number;
  maxConnectionMs?: number;
  /** Frames of one connection / of all connections in their handlers at once (local/gateway/limits.ts: 10 and 1,000). */
  maxFramesInFlightPerConnection?: number;
  maxFramesInFlight?: number;
  /** The In/Out interceptor lines. */
  frameLog?: FrameLog;
  /** What the handlers log (the runtime passes warnings and errors through). */
  log?: Logger;
  /** Run the template's schedules (default true). */
  schedules?: boolean;
  /** What the functions are built with besides their environment (the bench passes a counting DynamoDB client). */
  overrides?: WiringOverrides;
  /**
   * Where the functions send their management API calls instead of the gateway's own: an origin
   * (`http://127.0.0.1:PORT`), the stage path kept. The bench's counting endpoint
   * (bench/counting-management-api.ts) stands in there for sessions it stored without a socket,
   * and passes the rest on to {@link LocalRuntime.callbackUrl}. Default: the gateway's.
   */
  managementEndpoint?: string;
  /** Called after every function invocation with its duration (the bench counts Lambda invocations). */
  onInvocation?: (functionId: string, durationMs: number) => void;
  /** Serve the live dashboard at http://host:port/ (local/dashboard; default true). */
  dashboard?: boolean;
  /**
   * Run the deploy bundles (`cdk synth`'s asset folders, `index.handler`) in Node 22 worker
   * processes, one pool per function (local/lambda), instead of the TypeScript source in this
   * process (the default). Not with `overrides`: those cannot cross a process.
   */
  bundled?: boolean | BundledModeOptions;
  /** Each step of the start as it happens (`npm start` prints them; nothing by default). */
  onProgress?: (step: StartStep, message: string) => void;
  /**
   * Enforce each function's IAM policy, read from the template, on every SDK client it creates
   * (local/iam; default true). Off, every function may call anything, as before.
   */
  iam?: boolean;
  /** Alters the synthesized template before the runtime reads it (a test removes a grant). */
  template?: (template: CfnTemplate) => CfnTemplate;
}

/** The steps of a start, in order. */
export type StartStep = 'synth' | 'database' | 'tables' | 'functions' | 'listening';

/** DynamoDB Local died under a running runtime (killed, crashed): nothing can be served without it. */
export class DatabaseLostError extends Error {
  override readonly name = 'DatabaseLostError';
  constructor(
    readonly pid: number,
    readonly exit: { code: number | null; signal: NodeJS.Signals | null },
    readonly dataDir: string | undefined,
  ) {
    super(
      `DynamoDB Local (pid ${pid}) exited under the running runtime (${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`}). ` +
        `Nothing can be served without it, so the runtime stopped its WebSocket server, schedules and dashboard` +
        `${dataDir ? `; the data in ${dataDir} is kept, start again to serve it` : ''}.`,
    );
  }
}

export interface LocalRuntime {
  /** ws://host:port/stage */
  url: string;
  /** http://host:port/stage: the management API (the handlers' CALLBACK_URL). */
  callbackUrl: string;
  dynamodbEndpoint: string;
  /** The local SQS endpoint (the handlers' AWS_ENDPOINT_URL_SQS), serving the template's queues. */
  sqsEndpoint: string;
  /** The queues behind it, by template logical id (tests look at what is queued, in flight or dead-lettered). */
  sqs: SqsEngine;
  model: AppModel;
  /** Local table name by template logical id. */
  tableNames: Record<string, string>;
  /** What runs the functions: the source in this process, or the deploy bundles in Node 22 workers (`bundled`). */
  functionsRuntime: { mode: 'source' | 'bundled'; nodeVersion: string; nodePath: string };
  /** Each function's environment, as the handlers got it (the template's; bundled workers get Lambda's platform variables besides). */
  environments: Record<string, Record<string, string>>;
  /** Each function's IAM policy as enforced, by function id (absent with `iam: false`). */
  policies?: Record<string, FunctionPolicy>;
  /** http://host:port/: the live dashboard (absent with `dashboard: false`). */
  dashboardUrl?: string;
  /** DynamoDB Local's java process. */
  dynamodbPid: number;
  /** The data folder it holds the lock of (absent with `inMemory`). */
  dataDir?: string;
  /**
   * The ingestion sink (PROTOCOL §11) when the template has one: the folder its records go to
   * (`<dataDir>/sink`, or a temporary folder removed at stop when in memory), in S3's layout
   * `controller=<c>/topic=<t>/hour=<yyyy-MM-ddTHH>/records.jsonl`, and how many are in it.
   */
  sink?: { dir: string; recordsWritten(): number };
  /** The event source mappings on DynamoDB streams (the sink's), by mapping logical id. */
  streamMappings: Record<string, StreamMapping>;
  /**
   * Resolves if a part the runtime cannot serve without dies under it (DynamoDB Local), once
   * the runtime has stopped everything it started; never after stop(). `npm start` prints it
   * and exits non-zero.
   */
  failed: Promise<DatabaseLostError>;
  /**
   * Invokes the function a template rule schedules (the resend sweep) once now, as the rule
   * does, and resolves with its handler's result; also with `schedules: false` (local/schedules.ts).
   */
  runSchedule(functionId: string): Promise<unknown>;
  /** Stops everything it started and releases the data folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The whole service on one machine, driven by the synthesized app: the template says which
 * routes, functions, environment, tables and schedules there are, and this runs exactly
 * those, with the same handler code as the Lambdas (lambdas/entry/functions.ts).
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  // Refused before anything starts (the gateway checks them again where they are used).
  if (options.maxFramesInFlightPerConnection !== undefined) assertConcurrencyLimit('maxFramesInFlightPerConnection', options.maxFramesInFlightPerConnection);
  if (options.maxFramesInFlight !== undefined) assertConcurrencyLimit('maxFramesInFlight', options.maxFramesInFlight);
  bundledModeGuard(options);
  const frameLog = options.frameLog ?? silentFrameLog;
  const progress = options.onProgress ?? (() => {});
  const since = (started: number) => `${Math.round(performance.now() - started)} ms`;

  let started = performance.now();
  const { template, model } = synthForMode(Boolean(options.bundled), options.context, progress, options.template);
  // Read before anything starts: a policy the runtime cannot read faithfully stops the start here.
  const iam = options.iam === false ? undefined : localIam(template, model, process.env.AWS_REGION ?? 'us-east-1', options.overrides);
  progress('synth', `template: ${Object.keys(model.functions).length} functions, ${model.routes.length} routes, ${model.tables.length} tables, stage ${model.stageName} (${since(started)})`);
  progress(
    'synth',
    iam
      ? `IAM: each function's role policies from the template enforced on its SDK clients (${Object.values(iam.policies).reduce((n, p) => n + p.statements.length, 0)} statements)`
      : 'IAM: not enforced (iam: false): every function may call any table, queue and connection',
  );

  // Every port is known and checked, and the data folder locked, before anything is started or
  // killed: a second start on a running one's folder or port must leave the running one alone.
  const host = options.host ?? '127.0.0.1';
  const port = options.port === 0 ? await freePortOn(host) : (options.port ?? 3001);
  const dynamodbPort = await freePort();
  // As the gateway names itself (local/gateway/index.ts): a wildcard host is reached on 127.0.0.1.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const authority = `${urlHost}:${port}`;
  const dataDir = options.inMemory ? undefined : resolve(options.dataDir ?? join(LOCAL_STATE_DIR, 'data'));
  const cleanups: Array<() => Promise<void>> = [];
  // Set when the stop begins: Ctrl-C reaches DynamoDB Local (same process group) at once, and a
  // poll of its stream that fails while the rest stops is the stop, not a failure to report.
  let stopping = false;
  if (dataDir !== undefined) {
    const lock = lockDataFolder(
      dataDir,
      {
        ports: { gateway: port, dynamodb: dynamodbPort },
        urls: {
          websocket: `ws://${authority}/${model.stageName}`,
          ...(options.dashboard === false ? {} : { dashboard: `http://${authority}/` }),
          dynamodb: `http://${DYNAMODB_LOCAL_HOST}:${dynamodbPort}`,
        },
      },
      (line) => progress('database', line),
    );
    cleanups.push(async () => lock.release());
  }
  try {
    await assertPortFree(host, port);

    started = performance.now();
    progress('database', `starting DynamoDB Local on ${DYNAMODB_LOCAL_HOST}:${dynamodbPort} (${dataDir === undefined ? 'in memory' : `data in ${dataDir}`}); the JVM takes a few seconds`);
    const dynamodb: DynamoDbLocal = await startDynamoDbLocal({
      ...(dataDir === undefined ? {} : { dataDir }),
      port: dynamodbPort,
      // Browsers may call it only from the runtime's own pages.
      corsOrigins: [`http://${authority}`],
      notes: (line) => progress('database', line),
    });
    cleanups.unshift(() => dynamodb.stop());
    progress('database', `DynamoDB Local ready on ${dynamodb.endpoint}, pid ${dynamodb.pid} (${since(started)})`);

    // The template's queues, dead-letter queues first (a redrive names its target), each named by its logical id.
    const sqsServer: SqsServer = await startSqsServer({ host: '127.0.0.1' });
    cleanups.unshift(() => sqsServer.close());
    const queueUrls: Record<string, string> = {};
    for (const queue of [...model.queues].sort((a, b) => Number(a.redrive !== undefined) - Number(b.redrive !== undefined))) {
      sqsServer.engine.createQueue(queue.logicalId, {
        visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
        messageRetentionSeconds: queue.messageRetentionSeconds,
        ...(queue.redrive ? { redrive: { deadLetterQueue: queue.redrive.deadLetterQueueLogicalId, maxReceiveCount: queue.redrive.maxReceiveCount } } : {}),
      });
      queueUrls[queue.logicalId] = sqsServer.queueUrl(queue.logicalId);
    }

    // The template's Firehose delivery streams, each by its logical id, writing files in the sink's layout.
    let firehose: FirehoseServer | undefined;
    let sinkDir: string | undefined;
    if (model.deliveryStreams.length > 0) {
      if (dataDir !== undefined) sinkDir = join(dataDir, 'sink');
      else {
        const temporary = mkdtempSync(join(tmpdir(), 'qosgate-sink-'));
        sinkDir = temporary;
        cleanups.unshift(async () => rmSync(temporary, { recursive: true, force: true }));
      }
      const root = sinkDir;
      firehose = await startFirehoseServer({ streams: Object.fromEntries(model.deliveryStreams.map((stream) => [stream.logicalId, root])) });
      cleanups.unshift(() => (firehose as FirehoseServer).close());
      progress('database', `ingestion sink: records written to ${sinkDir} (controller=/topic=/hour=/records.jsonl), through a local Firehose on ${firehose.endpoint}`);
    }
    const deliveryStreamNames = Object.fromEntries(model.deliveryStreams.map((stream) => [stream.logicalId, stream.logicalId]));

    started = performance.now();
    localAwsEnvironment(dynamodb.endpoint, sqsServer.endpoint, firehose?.endpoint);
    const client = new DynamoDBClient({});
    const tableNames = await ensureTables(client, model);
    client.destroy();
    progress('tables', `${Object.values(tableNames).join(', ')} ready (${since(started)})`);

    // In bundled mode the workers build their own clients: the IAM middleware goes in through the
    // workers' client hook, with each function's policy.
    const bundledOptions: BundledModeOptions | undefined = options.bundled
      ? {
          ...(options.bundled === true ? {} : options.bundled),
          ...(iam ? { clientHook: { module: IAM_HOOK_MODULE, argFor: (fn) => iam.policies[fn.functionId] } } : {}),
        }
      : undefined;
    const bundled = bundledOptions
      ? await startBundledMode(bundledOptions, model, { region: process.env.AWS_REGION ?? 'us-east-1', endpoints: { dynamodb: dynamodb.endpoint, sqs: sqsServer.endpoint, ...(firehose ? { firehose: firehose.endpoint } : {}) }, ...(options.log ? { log: options.log } : {}), frameLog }, progress)
      : undefined;
    if (bundled) cleanups.unshift(() => bundled.stop());
    const environments: Record<string, Record<string, string>> = {};
    const functions: Record<string, GatewayFunction> = {};
    const dashboard =
      options.dashboard === false
        ? undefined
        : createDashboard({
            stage: model.stageName,
            dynamodbEndpoint: dynamodb.endpoint,
            environment: () => Object.assign({}, ...Object.values(environments)),
            ...(firehose ? { sinkRecords: () => (firehose as FirehoseServer).recordsWritten() } : {}),
          });
    const gateway: Gateway = await startGateway(
      {
        host,
        port,
        stage: model.stageName,
        apiId: LOCAL_API_ID,
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        ...(options.maxConnectionMs !== undefined ? { maxConnectionMs: options.maxConnectionMs } : {}),
        ...(options.maxFramesInFlightPerConnection !== undefined ? { maxFramesInFlightPerConnection: options.maxFramesInFlightPerConnection } : {}),
        ...(options.maxFramesInFlight !== undefined ? { maxFramesInFlight: options.maxFramesInFlight } : {}),
        observer: dashboard ? dashboard.observe(frameLog) : frameLog,
        ...(dashboard ? { httpFallback: dashboard.handleRequest } : {}),
      },
      ({ callbackUrl: gatewayCallbackUrl }): GatewayRoutes => {
        const callbackUrl = options.managementEndpoint ? `${options.managementEndpoint.replace(/\/+$/, '')}${new URL(gatewayCallbackUrl).pathname}` : gatewayCallbackUrl;
        for (const [id, fn] of Object.entries(model.functions)) {
          environments[id] = resolveEnvironment(fn, { tableNames, callbackUrl, queueUrls, deliveryStreamNames });
          const overrides: WiringOverrides = { ...(options.log ? { log: options.log } : {}), ...options.overrides };
          const created: LambdaHandler = bundled
            ? bundled.add(fn, environments[id])
            : createFunction(id, environments[id], iam ? iam.overridesFor(id, overrides) : overrides);
          const handler = options.onInvocation ? timed(id, created, options.onInvocation) : created;
          // A bundled function's environments enforce its timeout from when they run it, as Lambda does.
          functions[id] = { name: id, handler, timeoutMs: fn.timeoutSeconds * 1000, ...(bundled ? { timesItself: true } : {}) };
        }
        const routes = new Map(model.routes.map((r) => [r.routeKey, functions[r.functionId] as GatewayFunction]));
        return {
          selectionExpression: model.routeSelectionExpression,
          routes,
          ...(model.authorizer
            ? { authorizer: { fn: functions[model.authorizer.functionId] as GatewayFunction, identitySource: model.authorizer.identitySource } }
            : {}),
        };
      },
    );
    cleanups.unshift(() => gateway.close());
    if (dashboard) cleanups.unshift(() => dashboard.close());

    // The template's event source mappings poll their queues and invoke their functions as Lambda would.
    const mappings: EventSourceMapping[] = model.eventSourceMappings.map((mapping) =>
      startEventSourceMapping(
        sqsServer.engine,
        {
          queueName: mapping.queueLogicalId,
          functionId: mapping.functionId,
          batchSize: mapping.batchSize,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
          ...(mapping.maximumConcurrency !== undefined ? { maximumConcurrency: mapping.maximumConcurrency } : {}),
        },
        functions[mapping.functionId] as GatewayFunction,
        { onError: (error) => frameLog.note(`${mapping.functionId} invocation failed: ${String(error)}`) },
      ),
    );
    cleanups.unshift(async () => {
      await Promise.all(mappings.map((m) => m.stop()));
    });

    // The template's mappings on DynamoDB streams (the ingestion sink's), on DynamoDB Local's own Streams API.
    const streamMappings: Record<string, StreamMapping> = {};
    if (model.streamEventSourceMappings.length > 0) {
      const streamsClient = new DynamoDBStreamsClient({ endpoint: dynamodb.endpoint });
      const tablesClient = new DynamoDBClient({ endpoint: dynamodb.endpoint });
      for (const mapping of model.streamEventSourceMappings) {
        const tableName = tableNames[mapping.tableLogicalId];
        if (tableName === undefined) throw new Error(`qosgate: the stream mapping ${mapping.logicalId} reads ${mapping.tableLogicalId}, which has no local table`);
        const queue = mapping.onFailureQueueLogicalId;
        streamMappings[mapping.logicalId] = startStreamMapping(
          {
            id: mapping.logicalId,
            functionId: mapping.functionId,
            tableName,
            batchSize: mapping.batchSize,
            batchingWindowMs: mapping.batchingWindowSeconds * 1000,
            startingPosition: mapping.startingPosition,
            retryAttempts: mapping.retryAttempts,
            bisectOnError: mapping.bisectOnError,
            reportBatchItemFailures: mapping.reportBatchItemFailures,
            filterPatterns: mapping.filterPatterns,
          },
          functions[mapping.functionId] as GatewayFunction,
          {
            dynamodb: tablesClient,
            streams: streamsClient,
            ...(dataDir !== undefined ? { checkpointFile: join(dataDir, 'streams', `${mapping.logicalId}.json`) } : {}),
            ...(queue !== undefined ? { onFailure: (description: string) => void sqsServer.engine.send(queue, description) } : {}),
            onError: (error) => {
              if (!stopping) frameLog.note(`${mapping.functionId} (stream of ${mapping.tableLogicalId}) failed: ${String(error)}`);
            },
          },
        );
      }
      cleanups.unshift(async () => {
        await Promise.all(Object.values(streamMappings).map((m) => m.stop()));
        streamsClient.destroy();
        tablesClient.destroy();
      });
    }

    // Without its timers (`schedules: false`) a rule's function still runs when runSchedule asks.
    const schedules: Schedules = startSchedules(model.schedules, functions, (error) => frameLog.note(`Schedule failed: ${String(error)}`), { timers: options.schedules !== false });
    cleanups.unshift(() => schedules.stop());

    cleanups.unshift(writeRuntimeFile(dataDir, { stage: model.stageName, url: gateway.url, callbackUrl: gateway.callbackUrl, dynamodbEndpoint: dynamodb.endpoint, environments }));
    progress('listening', `${gateway.url}${dashboard ? ` and the dashboard on ${new URL(gateway.callbackUrl).origin}/` : ''}`);

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping = true;
      return (stopped ??= runAll(cleanups));
    };
    // A database that dies under the runtime is not a state it can serve from (every connect
    // would answer 500): stop the rest too, and say why.
    const failed = dynamodb.exited.then(async (exit) => {
      if (stopped) return new Promise<never>(() => {});
      const error = new DatabaseLostError(dynamodb.pid, exit, dataDir);
      await stop().catch(() => {});
      return error;
    });
    return {
      url: gateway.url,
      callbackUrl: gateway.callbackUrl,
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqsServer.endpoint,
      sqs: sqsServer.engine,
      dynamodbPid: dynamodb.pid,
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(firehose && sinkDir ? { sink: { dir: sinkDir, recordsWritten: () => (firehose as FirehoseServer).recordsWritten() } } : {}),
      streamMappings,
      model,
      tableNames,
      environments,
      ...(iam ? { policies: iam.policies } : {}),
      functionsRuntime: bundled ? { mode: 'bundled', nodeVersion: bundled.node.version, nodePath: bundled.node.path } : { mode: 'source', nodeVersion: process.version, nodePath: process.execPath },
      ...(dashboard ? { dashboardUrl: `${new URL(gateway.callbackUrl).origin}/` } : {}),
      failed,
      runSchedule: (functionId) => schedules.run(functionId),
      stop,
    };
  } catch (error) {
    await runAll(cleanups);
    throw error;
  }
}

/**
 * What a Lambda gets from its platform rather than from the template: a region, credentials,
 * and here the endpoints of DynamoDB Local and the local SQS engine through the SDK's standard
 * AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS (and the local Firehose's through AWS_ENDPOINT_URL_FIREHOSE).
 * The functions' own environment stays exactly the template's.
 */
function localAwsEnvironment(dynamodbEndpoint: string, sqsEndpoint: string, firehoseEndpoint: string | undefined): void {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
  process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
  if (firehoseEndpoint !== undefined) process.env.AWS_ENDPOINT_URL_FIREHOSE = firehoseEndpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Reports each run of `handler` (failed ones too) with its wall-clock duration. */
function timed(id: string, handler: LambdaHandler, report: (functionId: string, durationMs: number) => void): LambdaHandler {
  return async (event, context) => {
    const started = performance.now();
    try {
      return await handler(event, context);
    } finally {
      report(id, performance.now() - started);
    }
  };
}

/** Stops in order, and stops everything even if one part fails. */
async function runAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  const errors: unknown[] = [];
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
