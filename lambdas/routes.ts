import type { TableName } from './adapters/dynamodb/schema.js';

/**
 * The one route table: the CDK stack builds a function and a route from each entry, the
 * Lambda entry files are named by it, the local runtime routes by it, and the client knows
 * the actions from it.
 */

export type Access = 'read' | 'readWrite' | 'write';

export interface RouteSpec {
  /** API Gateway route key; `$request.body.action` selects it for frames. */
  routeKey: string;
  /** PascalCase id for the CDK function. */
  id: string;
  /** Lambda entry file, relative to the project root. */
  entry: string;
  /** Least privilege: the tables this function touches, and how. */
  tables: Partial<Record<TableName, Access>>;
  /** Whether it posts to or closes connections (execute-api:ManageConnections on this API). */
  manageConnections: boolean;
  /**
   * The fan-out queue (docs/architecture.md "Fan-out beyond one Lambda"): `send` for a function
   * that hands messages on (sqs:SendMessage only: it queues the rest of a large audience),
   * `consume` for the page worker (its event source mapping's receive and delete, and send: each
   * span job queues its pages and the next span). Absent: no access.
   */
  pageQueue?: 'send' | 'consume';
  /** Lambda memory in MB, where the route's work needs more CPU than the default 256 MB gives (Lambda gives CPU with memory). */
  memoryMb?: number;
}

/**
 * A function that hands a message on itself (the inline page: up to FANOUT_INLINE_PAGE_SIZE
 * recipients, stored in BatchWriteItems and posted 32 at a time) gets the page worker's memory:
 * the bench's sizing pass measured a 200-recipient page at up to 0.9 s of CPU, which at 256 MB
 * (256/1769 of a vCPU) is over 6 s, more than half the 10 s route timeout; at 512 MB about 3 s
 * (docs/bench, "Lambda sizing from the deploy bundles").
 */
export const HANDS_ON_A_PAGE_MB = 512;

/** Every other function's memory: Lambda's CPU share at 256 MB is enough for one frame's work. */
export const DEFAULT_MEMORY_MB = 256;

/**
 * A route function's timeout, well under API Gateway's 29 s integration timeout, so a slow frame
 * fails in Lambda, visibly (lib/constructs/route-functions.ts; the pubrel lease is at least twice it).
 */
export const ROUTE_TIMEOUT_SECONDS = 10;

/**
 * Pending entries are references to bodies in `messages` (written by whoever writes entries,
 * joined by whoever reads them), so a function with `pending` has `messages` with the same access.
 */
const PENDING: Partial<Record<TableName, Access>> = { pending: 'readWrite', messages: 'readWrite' };

/**
 * What a function that hands messages on touches: on a `gone` send a clean session is removed,
 * and the gone connection's will is published (PROTOCOL §9), which may retain it.
 */
const DELIVERS: Partial<Record<TableName, Access>> = {
  connections: 'readWrite',
  subscriptions: 'readWrite',
  ...PENDING,
  inbound: 'readWrite',
  retained: 'readWrite',
};

/**
 * Every function granted DELIVERS may hand a message on to an audience of any size: a client's
 * publish, and also a will or a presence message (`$connect`, `$disconnect`, and any function
 * whose send finds a connection gone: subscribe's retained value, the sweep's resend). So each
 * hands on at most the inline page itself and queues the rest (app/deliver.ts), with the memory
 * that page needs. No audience is looped through in one function.
 */
const HANDS_ON = { pageQueue: 'send', memoryMb: HANDS_ON_A_PAGE_MB } as const;

/**
 * What a function that accepts clients' messages writes (PROTOCOL §10, §11): one history record per
 * message before it is answered (app/ingest.ts); the table's stream feeds the sink. Write only:
 * BatchWriteItem, no read.
 */
const RECORDS: Partial<Record<TableName, Access>> = { history: 'write' };

export const ROUTES: RouteSpec[] = [
  // $connect publishes presence and a taken-over connection's will; $disconnect the ending one's (PROTOCOL §9).
  { routeKey: '$connect', id: 'Connect', entry: 'lambdas/entry/connect.ts', tables: { ...DELIVERS }, manageConnections: true, ...HANDS_ON },
  { routeKey: '$disconnect', id: 'Disconnect', entry: 'lambdas/entry/disconnect.ts', tables: { ...DELIVERS }, manageConnections: true, ...HANDS_ON },
  {
    routeKey: '$default',
    id: 'Default',
    entry: 'lambdas/entry/default.ts',
    // Text frames carry every action, so $default may do what any frame route does.
    tables: { ...DELIVERS, retained: 'readWrite', ...RECORDS },
    manageConnections: true,
    ...HANDS_ON,
  },
  {
    routeKey: 'publish',
    id: 'Publish',
    entry: 'lambdas/entry/publish.ts',
    tables: { ...DELIVERS, retained: 'readWrite', ...RECORDS },
    manageConnections: true,
    ...HANDS_ON,
  },
  // Lazy flow control (app/flow-control.ts): an ack flags or unflags its session's memberships, subscriptions and flag item.
  { routeKey: 'msgack', id: 'Msgack', entry: 'lambdas/entry/msgack.ts', tables: { connections: 'readWrite', subscriptions: 'readWrite', ...PENDING }, manageConnections: true },
  { routeKey: 'pubrec', id: 'Pubrec', entry: 'lambdas/entry/pubrec.ts', tables: { connections: 'read', ...PENDING }, manageConnections: true },
  {
    routeKey: 'pubrel',
    id: 'Pubrel',
    entry: 'lambdas/entry/pubrel.ts',
    tables: { ...DELIVERS, retained: 'readWrite', ...RECORDS },
    manageConnections: true,
    ...HANDS_ON,
  },
  // A subscribe sends the retained value; a send that finds the connection gone publishes its will.
  { routeKey: 'subscribe', id: 'Subscribe', entry: 'lambdas/entry/subscribe.ts', tables: { ...DELIVERS }, manageConnections: true, ...HANDS_ON },
  { routeKey: 'unsubscribe', id: 'Unsubscribe', entry: 'lambdas/entry/unsubscribe.ts', tables: { connections: 'read', subscriptions: 'readWrite' }, manageConnections: true },
  // A resume that holds what does not fit flags the session (lazy flow control).
  { routeKey: 'resume', id: 'Resume', entry: 'lambdas/entry/resume.ts', tables: { connections: 'readWrite', subscriptions: 'readWrite', ...PENDING, deadLetters: 'write' }, manageConnections: true },
  // Ping reads its connection only to answer in the client's format.
  { routeKey: 'ping', id: 'Ping', entry: 'lambdas/entry/ping.ts', tables: { connections: 'read' }, manageConnections: true },
  // PROTOCOL §9: `will` writes it on the connection's record, and answers willack.
  { routeKey: 'will', id: 'Will', entry: 'lambdas/entry/will.ts', tables: { connections: 'readWrite' }, manageConnections: true },
  // `disconnect` drops the will, marks the record, and closes the connection (DeleteConnection);
  // its `$disconnect` does the rest. (The id is not `Disconnect`: that is the `$disconnect` route's.)
  { routeKey: 'disconnect', id: 'Goodbye', entry: 'lambdas/entry/goodbye.ts', tables: { connections: 'readWrite' }, manageConnections: true },
  // PROTOCOL §10: reads its connection (format, and to answer) and the topic's history; writes nothing.
  { routeKey: 'history', id: 'History', entry: 'lambdas/entry/history.ts', tables: { connections: 'read', history: 'read' }, manageConnections: true },
];

/** The scheduled resend sweep: not a WebSocket route, fired by EventBridge. */
export const RESEND: Omit<RouteSpec, 'routeKey'> = {
  id: 'Resend',
  entry: 'lambdas/entry/resend.ts',
  tables: { ...DELIVERS, deadLetters: 'write' },
  manageConnections: true,
  // A resend that finds its connection gone publishes the will (HANDS_ON). The memory stays the
  // default: this function runs most of every minute (the sweep window), so its memory is billed
  // around the clock, and the rare inline page of a will (about 6 s at 256 MB, most of it CPU) fits in
  // the margin its timeout keeps beyond the window (lib/constructs/resend-schedule.ts).
  pageQueue: 'send',
};

/**
 * The fan-out page worker: not a WebSocket route, invoked by the fan-out queue's event source
 * mapping. It delivers as a publish does (page claims live in the inbound table as `page#` items).
 */
export const FANOUT_PAGE: Omit<RouteSpec, 'routeKey'> = {
  id: 'FanoutPage',
  entry: 'lambdas/entry/fanout-page.ts',
  tables: { ...DELIVERS },
  manageConnections: true,
  pageQueue: 'consume',
  // A page's 32 concurrent posts and its BatchWriteItems: the memory of every function that hands a page on.
  memoryMb: HANDS_ON_A_PAGE_MB,
};

/**
 * The ingestion sink (PROTOCOL §11): not a WebSocket route, invoked by the event source mapping
 * on the history table's stream. No table grant: the stack gives it the stream's read actions
 * only (lib/constructs/ingestion-sink.ts) and firehose:PutRecordBatch on its delivery stream.
 */
export const SINK: Omit<RouteSpec, 'routeKey'> = {
  id: 'Sink',
  entry: 'lambdas/entry/sink.ts',
  tables: {},
  manageConnections: false,
};

/**
 * The `$connect` Lambda REQUEST authorizer (when auth is on, `qosgate:authRequired`): verifies
 * the JWT and returns the grants. No table and no connection: its only grant is reading the
 * HS256 secret (secretsmanager:GetSecretValue on that one secret), which the stack adds.
 */
export const AUTHORIZER: Omit<RouteSpec, 'routeKey'> = {
  id: 'Authorizer',
  entry: 'lambdas/entry/authorizer.ts',
  tables: {},
  manageConnections: false,
};

/** The actions a JSON frame may name (the non-$ routes). */
export const FRAME_ACTIONS = ROUTES.map((r) => r.routeKey).filter((k) => !k.startsWith('$'));

export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';

/**
 * API Gateway's route selection for `$request.body.action`: a JSON object frame whose
 * `action` names a route goes there; anything else (text frames, unknown actions) goes to
 * `$default`. The local runtime and the tests route with this.
 */
export function selectRoute(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return '$default';
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const action = (parsed as Record<string, unknown>).action;
    if (typeof action === 'string' && FRAME_ACTIONS.includes(action)) return action;
  }
  return '$default';
}
