/**
 * The live dashboard of the local runtime (`npm start`, then open http://127.0.0.1:3001/):
 * the seed's QoS flow made visible. Served by the gateway's own HTTP server, on paths API
 * Gateway would answer 403 (the WebSocket stays at `/{stage}`):
 *
 *   GET /                     the page (page/index.html)
 *   GET /_qosgate/main.js     its script, bundled at first request (page/main.ts, see bundle.ts)
 *   GET /_qosgate/main.css    its stylesheet (uPlot's)
 *   GET /_qosgate/config      { stage, policy }: what the page needs to connect and to explain
 *   GET /_qosgate/state       open connections, pending entries (attempts, dueAt), dead letters, sink records written (JSON)
 *   GET /_qosgate/events      Server-Sent Events: recent then live frames in/out and (dis)connections
 *
 * Read only: the page's own simulated sensor and monitors are ordinary WebSocket clients (the
 * project's client library), and everything they do goes through the gateway like any client's.
 * Local only: nothing of this exists in the CDK app.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbStores } from '../../lambdas/adapters/dynamodb/index.js';
import { readPolicy, readSweep, readTableNames } from '../../lambdas/config.js';
import type { GatewayObserver } from '../gateway/index.js';
import { PAGE_DIR, pageBundler } from './bundle.js';
import { FrameFeed, type FeedEvent } from './feed.js';
import { StateReader } from './state.js';

export interface DashboardOptions {
  stage: string;
  /** The DynamoDB Local endpoint the functions use. */
  dynamodbEndpoint: string;
  /**
   * The functions' environments merged (table names, policy, sweep), read at the first request:
   * the runtime builds them once the gateway's port is known, before it serves anything.
   */
  environment: () => Record<string, string>;
  /** Frames and connection events held for a page opened late (default 500). */
  keepEvents?: number;
  /** How many records the ingestion sink has written (local/firehose), when the runtime has one. */
  sinkRecords?: () => number;
}

export interface Dashboard {
  /** The gateway observer to use: tees `inner` (the console In/Out log) and feeds the page. */
  observe(inner?: GatewayObserver): GatewayObserver;
  /** Answers the dashboard's paths and returns true; false for any other path. */
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends the event streams and releases the DynamoDB client. */
  close(): Promise<void>;
}

const SSE_HEARTBEAT_MS = 15_000;

export function createDashboard(options: DashboardOptions): Dashboard {
  const feed = new FrameFeed(options.keepEvents ?? 500);
  const bundle = pageBundler();
  const streams = new Set<ServerResponse>();
  let html: Promise<string> | undefined;
  let reader: { client: DynamoDBClient; state: StateReader } | undefined;

  const stateReader = (): StateReader => {
    if (!reader) {
      const env = options.environment();
      const client = new DynamoDBClient({ endpoint: options.dynamodbEndpoint });
      const doc = DynamoDBDocumentClient.from(client);
      const names = readTableNames(env, ['connections', 'pending', 'messages', 'deadLetters', 'retained']);
      const stores = createDynamoDbStores(doc, names, { resendShards: readSweep(env).shards });
      reader = { client, state: new StateReader(stores, () => feed.connections()) };
    }
    return reader.state;
  };

  const config = (): Record<string, unknown> => {
    const env = options.environment();
    const policy = readPolicy(env);
    const sweep = readSweep(env);
    return {
      stage: options.stage,
      policy: { ackTimeoutMs: policy.ackTimeoutMs, backoffCapMs: policy.backoffCapMs, attemptLimit: policy.attemptLimit, sweepIntervalMs: sweep.intervalMs },
    };
  };

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // Headers now (the page shows "live" on open, even before any frame), and a quick reconnect.
    res.write('retry: 1000\n\n');
    const send = (event: FeedEvent): void => void res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    // A reconnecting EventSource says what it saw last: replay only what came after. An id
    // beyond the feed's last is from before a restart of the runtime: replay it all.
    const lastSeen = Number(req.headers['last-event-id'] ?? 0);
    const history = feed.history();
    const after = Number.isInteger(lastSeen) && lastSeen <= (history.at(-1)?.seq ?? 0) ? lastSeen : 0;
    // History first, then live: subscribing before writing the history keeps nothing from falling between.
    const queued: FeedEvent[] = [];
    let replaying = true;
    const unsubscribe = feed.subscribe((event) => (replaying ? queued.push(event) : send(event)));
    for (const event of history) if (event.seq > after) send(event);
    for (const event of queued) send(event);
    replaying = false;
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), SSE_HEARTBEAT_MS);
    streams.add(res);
    const end = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    // Not req's 'close': Node emits that once the (empty) request body is read, not when the client goes.
    res.on('close', end);
  };

  return {
    observe: (inner) => feed.observe(inner),

    async handleRequest(req, res) {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      if (!Object.hasOwn(ROUTES, path)) return false;
      const route = ROUTES[path];
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain', 'Method Not Allowed', { allow: 'GET, HEAD' });
        return true;
      }
      switch (route) {
        case 'page':
          send(res, 200, 'text/html; charset=utf-8', await (html ??= readFile(`${PAGE_DIR}index.html`, 'utf8')));
          return true;
        case 'js':
        case 'css': {
          let page;
          try {
            page = await bundle();
          } catch (error) {
            send(res, 500, 'text/plain; charset=utf-8', `the dashboard page failed to build:\n${error instanceof Error ? error.message : String(error)}`);
            return true;
          }
          if (route === 'js') send(res, 200, 'text/javascript; charset=utf-8', page.js);
          else send(res, 200, 'text/css; charset=utf-8', page.css);
          return true;
        }
        case 'config':
          send(res, 200, 'application/json', JSON.stringify(config()));
          return true;
        case 'state':
          send(res, 200, 'application/json', JSON.stringify({ ...(await stateReader().read(Date.now())), ...(options.sinkRecords ? { sinkRecords: options.sinkRecords() } : {}) }));
          return true;
        case 'events':
          events(req, res);
          return true;
        case 'favicon':
          send(res, 204, 'text/plain', '');
          return true;
      }
      return false;
    },

    async close() {
      for (const res of streams) res.end();
      streams.clear();
      reader?.client.destroy();
      reader = undefined;
    },
  };
}

const ROUTES: Record<string, 'page' | 'js' | 'css' | 'config' | 'state' | 'events' | 'favicon'> = {
  '/': 'page',
  '/index.html': 'page',
  '/_qosgate/main.js': 'js',
  '/_qosgate/main.css': 'css',
  '/_qosgate/config': 'config',
  '/_qosgate/state': 'state',
  '/_qosgate/events': 'events',
  '/favicon.ico': 'favicon',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}
