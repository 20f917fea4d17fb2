import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayConnectionGateway } from '../../lambdas/adapters/apigateway/api-gateway-connection-gateway.js';
import { createTables } from '../../lambdas/adapters/dynamodb/create-tables.js';
import { createDynamoDbStores } from '../../lambdas/adapters/dynamodb/index.js';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import type { AppDeps } from '../../lambdas/app/deps.js';
import { withServerPublish } from '../../lambdas/app/server-publish.js';
import { sweepDue, type SweepStats } from '../../lambdas/app/resend-sweep.js';
import { sampleControllers, type ControllerRegistry } from '../../lambdas/core/controllers/registry.js';
import { DEFAULT_POLICY, type QosPolicy } from '../../lambdas/core/policy.js';
import type { ServerFrame } from '../../lambdas/core/types.js';
import { ALL_COMMANDS } from '../../lambdas/handlers/commands/index.js';
import { createConnectHandler } from '../../lambdas/handlers/connect.js';
import { createDisconnectHandler } from '../../lambdas/handlers/disconnect.js';
import type { WebSocketEvent, WebSocketResult } from '../../lambdas/handlers/events.js';
import { createFrameHandler } from '../../lambdas/handlers/frame-handler.js';
import type { CommandHandlers } from '../../lambdas/handlers/frame-context.js';
import type { Logger } from '../../lambdas/ports/logger.js';
import type { Metrics } from '../../lambdas/ports/metrics.js';
import { ROUTES, selectRoute } from '../../lambdas/routes.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from './dynamodb.js';
import { DynamoDbPageClaimStore } from '../../lambdas/adapters/dynamodb/dynamodb-page-claim-store.js';
import { MemoryPageQueue } from '../../lambdas/adapters/memory/memory-page-queue.js';
import { DEFAULT_FANOUT, type FanoutConfig } from '../../lambdas/config.js';
import { encodePageJob, type PageJob } from '../../lambdas/core/page-job.js';
import { createFanoutPageHandler, type SqsBatchResponse } from '../../lambdas/handlers/fanout-page.js';
import { startManagementEndpoint, type ManagementEndpoint } from './management-endpoint.js';

/**
 * One handler per frame route, each with its own connection cache, as separate Lambdas have:
 * what API Gateway invokes for `$default` and each action.
 */
export function frameRouteHandlers(deps: AppDeps): Map<string, (event: WebSocketEvent) => Promise<WebSocketResult>> {
  const routes = new Map<string, (event: WebSocketEvent) => Promise<WebSocketResult>>();
  for (const route of ROUTES) {
    if (route.routeKey === '$connect' || route.routeKey === '$disconnect') continue;
    const handlers: CommandHandlers =
      route.routeKey === '$default' ? ALL_COMMANDS : { [route.routeKey]: ALL_COMMANDS[route.routeKey as keyof typeof ALL_COMMANDS] };
    routes.set(route.routeKey, createFrameHandler(deps, handlers));
  }
  return routes;
}

/** A clock the test moves by hand, so resends happen without sleeping. */
export class ManualClock {
  // Far in the future: DynamoDB Local really deletes items whose TTL has passed by the wall clock.
  constructor(public time = 4_000_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Log lines kept in memory, so a test can look at them and the run stays quiet. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, ...(fields ? { fields } : {}) });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, ...(fields ? { fields } : {}) });
  }
}

export interface HarnessOptions {
  policy?: Partial<QosPolicy>;
  controllers?: ControllerRegistry;
  resendShards?: number;
  /** Where the handlers' metrics go (e.g. a MemoryMetrics to assert on); none by default. */
  metrics?: Metrics;
  /**
   * Fan-out by page jobs (app/fanout-page.ts): a MemoryPageQueue the test drains by hand
   * ({@link Harness.runQueuedPages}) and real page claims in the inbound table.
   */
  fanout?: Partial<FanoutConfig>;
  /** Where the pending store keeps a fan-out's first sends (FIRST_SENDS): `reference` by default. */
  firstSends?: 'reference' | 'marker';
}

/**
 * The server side as API Gateway runs it, minus the sockets: the real handlers, each route
 * with its own connection cache (as separate Lambdas have), real tables in DynamoDB Local,
 * and the real management API client posting to a small HTTP endpoint that records frames.
 */
export class Harness {
  private nextConnection = 0;
  private nextMessage = 0;
  private nextServerMessage = 0;
  private readonly routes: Map<string, (event: WebSocketEvent) => Promise<WebSocketResult>>;
  readonly connect: (event: WebSocketEvent) => Promise<WebSocketResult>;
  readonly disconnectHandler: (event: WebSocketEvent) => Promise<WebSocketResult>;

  private constructor(
    readonly deps: AppDeps,
    readonly clock: ManualClock,
    readonly log: MemoryLogger,
    readonly endpoint: ManagementEndpoint,
    readonly doc: DynamoDBDocumentClient,
    readonly tableNames: Record<TableName, string>,
    private readonly closers: Array<() => void | Promise<void>>,
  ) {
    this.connect = createConnectHandler(deps);
    this.disconnectHandler = createDisconnectHandler(deps);
    this.routes = frameRouteHandlers(deps);
  }

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const client = testDynamoDbClient();
    const doc = testDocumentClient(client);
    const prefix = uniquePrefix('qos');
    const tableNames = Object.fromEntries((Object.keys(TABLES) as TableName[]).map((t) => [t, `${prefix}-${t}`])) as Record<TableName, string>;
    await createTables(client, tableNames);
    const endpoint = await startManagementEndpoint();
    const management = new ApiGatewayManagementApiClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const clock = new ManualClock();
    const log = new MemoryLogger();
    const deps: AppDeps = withServerPublish({
      stores: createDynamoDbStores(doc, tableNames, { resendShards: options.resendShards ?? 4, firstSends: options.firstSends ?? (process.env.QOSGATE_TEST_FIRST_SENDS as 'marker' | undefined) }),
      gateway: new ApiGatewayConnectionGateway(management),
      clock,
      policy: { ...DEFAULT_POLICY, ...options.policy },
      controllers: options.controllers ?? sampleControllers,
      // The production layout (app/ids.ts: the time in base 36, then 8 hex digits), with a counter
      // for the random part: ids sort by age (flow control reads in id order) and carry their time
      // (a blind QoS 1 msgack's AckLatency, core/delivery.ts idTime).
      newId: () => `${clock.now().toString(36)}${String(++harness.nextMessage).padStart(8, '0')}`,
      log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.fanout
        ? { fanout: { queue: new MemoryPageQueue(), claims: new DynamoDbPageClaimStore(doc, tableNames.inbound), config: { ...DEFAULT_FANOUT, ...options.fanout } } }
        : {}),
      // The server's own publishes (presence at every $connect, wills) count apart, so a test's
      // first client publish still gets the first id (`<time>00000001`); an `s` sorts them after
      // the clients' ids of the same millisecond.
    }, () => `${clock.now().toString(36)}s${String(++harness.nextServerMessage).padStart(7, '0')}`);
    const harness: Harness = new Harness(deps, clock, log, endpoint, doc, tableNames, [
      () => management.destroy(),
      () => endpoint.close(),
      () => client.destroy(),
    ]);
    return harness;
  }

  async close(): Promise<void> {
    for (const close of this.closers) await close();
  }

  /** Opens a connection the way API Gateway's $connect does; returns its id and the status. */
  async open(query: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<{ connectionId: string; statusCode: number; body?: string }> {
    const connectionId = `conn-${++this.nextConnection}=`;
    const result = await this.connect({
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId, connectedAt: this.clock.now() },
      queryStringParameters: Object.keys(query).length ? query : null,
      headers,
    });
    return { connectionId, statusCode: result.statusCode, ...(result.body !== undefined ? { body: result.body } : {}) };
  }

  /** Opens a connection that must be accepted. */
  async client(query: Record<string, string> = {}): Promise<string> {
    const { connectionId, statusCode, body } = await this.open(query);
    if (statusCode !== 200) throw new Error(`connect refused: ${statusCode} ${body}`);
    return connectionId;
  }

  /**
   * Sends a frame, routed by `$request.body.action` like API Gateway. `receivedAt` is the
   * gateway's requestTimeEpoch (when it got the frame), for a frame that waited for its handler.
   */
  async send(connectionId: string, frame: object | string, options: { receivedAt?: number } = {}): Promise<WebSocketResult> {
    const body = typeof frame === 'string' ? frame : JSON.stringify(frame);
    const routeKey = selectRoute(body);
    const handler = this.routes.get(routeKey);
    if (!handler) throw new Error(`no handler for ${routeKey}`);
    const received = options.receivedAt === undefined ? {} : { requestTimeEpoch: options.receivedAt };
    return handler({ requestContext: { routeKey, eventType: 'MESSAGE', connectionId, messageId: `msg-${Date.now()}`, ...received }, body });
  }

  async disconnect(connectionId: string): Promise<void> {
    await this.disconnectHandler({
      requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId, disconnectStatusCode: 1000, disconnectReason: 'test' },
    });
  }

  /** Every frame posted to a connection so far, parsed from JSON. */
  frames(connectionId: string): ServerFrame[] {
    return this.endpoint.received(connectionId).map((raw) => JSON.parse(raw) as ServerFrame);
  }

  /** Raw frames (for text-format clients). */
  raw(connectionId: string): string[] {
    return this.endpoint.received(connectionId);
  }

  /** Messages (type `message`) posted to a connection so far. */
  messages(connectionId: string): Array<Extract<ServerFrame, { type: 'message' }>> {
    return this.frames(connectionId).filter((f): f is Extract<ServerFrame, { type: 'message' }> => f.type === 'message');
  }

  /** Runs the resend sweep at the current (manual) time. */
  sweep(): Promise<SweepStats> {
    return sweepDue(this.deps, { batchSize: 100 }, this.clock.now());
  }

  /** The fan-out queue (HarnessOptions.fanout). */
  get pageQueue(): MemoryPageQueue {
    const queue = this.deps.fanout?.queue;
    if (!(queue instanceof MemoryPageQueue)) throw new Error('this harness was started without fanout');
    return queue;
  }

  /** Runs the FanoutPage worker on page jobs, as the queue's event source mapping would (one record per job). */
  async runPage(...jobs: PageJob[]): Promise<SqsBatchResponse> {
    const fanout = this.deps.fanout;
    if (!fanout) throw new Error('this harness was started without fanout');
    const worker = createFanoutPageHandler({ ...this.deps, fanout });
    return worker({ Records: jobs.map((job, i) => ({ messageId: `sqs-${i}`, body: encodePageJob(job) })) });
  }

  /** Runs queued page jobs until none is left (each job queues the next page's); returns how many ran. */
  async runQueuedPages(): Promise<number> {
    let ran = 0;
    for (let jobs = this.pageQueue.take(); jobs.length > 0; jobs = this.pageQueue.take()) {
      for (const job of jobs) {
        const { batchItemFailures } = await this.runPage(job);
        if (batchItemFailures.length > 0) throw new Error(`page job failed: ${JSON.stringify(job)}`);
        ran += 1;
      }
    }
    return ran;
  }

  /** Every raw item of the pending table (a Scan: tests only), to see what a layout stores. */
  async scanPending(): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({ TableName: this.tableNames.pending, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  /** The pending entries of a session, straight from the store. */
  pendingOf(sessionId: string) {
    return this.deps.stores.pending.ofSession(sessionId, this.clock.now());
  }
}
