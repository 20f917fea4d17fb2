/**
 * The public types of the API Gateway WebSocket emulator. It knows nothing of qosgate: it
 * calls functions shaped like Lambda handlers, the way API Gateway invokes Lambda proxy
 * integrations.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A Lambda handler as API Gateway invokes it: an event and a context in, a promise out.
 * `any` on purpose: events and results are plain JSON, as in Lambda, and handlers type them.
 * Declared through a method so that its parameters are checked bivariantly: a handler typed for
 * one event (`(event: APIGatewayProxyWebsocketEventV2) => ...`, or `(event: never) => ...`) is
 * accepted without a cast.
 */
export type LambdaLike = { handler(event: any, context: LambdaContextLike): Promise<any> }['handler'];

/** The part of Lambda's context object the emulator provides (more fields are set, see `invoke.ts`). */
export interface LambdaContextLike {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}

/** One function of the template: its name (for logs and the context), its handler and its timeout. */
export interface GatewayFunction {
  name: string;
  handler: LambdaLike;
  /** The function's own Lambda timeout; a run past it fails like a timed-out Lambda. */
  timeoutMs: number;
  /**
   * The handler enforces `timeoutMs` itself, counted from when it starts running, as Lambda
   * counts it (a bundled function's execution environments, after any wait for a free one).
   * A caller then bounds the call only by a limit of its own (API Gateway's 29 s integration
   * timeout), so a wait for an environment is never taken for the function's run.
   */
  timesItself?: boolean;
}

/** A `$connect` Lambda REQUEST authorizer. */
export interface GatewayAuthorizer {
  fn: GatewayFunction;
  /**
   * Where the identity is, as in the template: `route.request.header.Authorization`,
   * `route.request.querystring.token` (`$request.header.X` / `$request.querystring.X` also work).
   * A source that is missing or empty refuses the handshake with 401 without calling the authorizer.
   */
  identitySource: string[];
}

/** The routes of the WebSocket API, as the template defines them. */
export interface GatewayRoutes {
  /** The API's route selection expression, e.g. `$request.body.action`. */
  selectionExpression: string;
  /** routeKey -> function: `$connect`, `$disconnect`, `$default` and custom keys. */
  routes: Map<string, GatewayFunction>;
  /** The `$connect` route's Lambda REQUEST authorizer, if the template has one. */
  authorizer?: GatewayAuthorizer;
}

/** How a connection ended, as the `$disconnect` event reports it. */
export interface DisconnectInfo {
  statusCode: number;
  reason: string;
}

/**
 * Why a connection ended, for logs (the `$disconnect` event only has {@link DisconnectInfo}, and
 * several causes share its code: idle, 2 h and shutdown are all 1001):
 * - `client`: the client closed it (or vanished: 1005);
 * - `frameTooLarge` / `messageTooLarge` (1009), `binaryFrame` (1003), `invalidUtf8` (1007),
 *   `protocolError` (1002): the gateway closed it for what the client sent;
 * - `idle` (10 min without a data frame) / `maxDuration` (2 h): API Gateway's limits;
 * - `deleted`: a `DELETE @connections/{id}` (a handler closed it);
 * - `shutdown`: the gateway is stopping.
 */
export type CloseCause = 'client' | 'frameTooLarge' | 'messageTooLarge' | 'binaryFrame' | 'invalidUtf8' | 'protocolError' | 'idle' | 'maxDuration' | 'deleted' | 'shutdown';

/** A connection and the query string of its handshake (`queryStringParameters`). */
export interface ConnectionQuery {
  connectionId: string;
  query: Record<string, string>;
}

/** What {@link GatewayObserver.disconnected} is told beyond the `$disconnect` event's info. */
export interface CloseDetail {
  cause: CloseCause;
  /** For `idle` and `maxDuration`: the limit that was reached, in ms. */
  limitMs?: number;
  /** The closed connection's handshake query string. */
  query: Record<string, string>;
  /**
   * For `deleted`: the connections whose `$connect` was running when the DELETE came. A `$connect`
   * that closes an older connection (a session takeover) is among them.
   */
  deletedDuringConnectOf?: ConnectionQuery[];
}

/** What {@link GatewayObserver.connected} is told beyond who connected. */
export interface ConnectDetail {
  /** The handshake's query string (`queryStringParameters`). */
  query: Record<string, string>;
}

/** A handshake answered with an HTTP error instead of 101: the status and body the client got. */
export interface HandshakeRefusal {
  /** Absent when it was refused before a connection id was given (bad path or upgrade request). */
  connectionId?: string;
  statusCode: number;
  body: string;
  /** Who refused: the gateway itself, the REQUEST authorizer, or the `$connect` route. */
  by: 'gateway' | 'authorizer' | '$connect';
  query: Record<string, string>;
}

/** Who connected, as the CONNECT event's `requestContext.identity` reports it. */
export interface ConnectionIdentity {
  sourceIp: string;
  userAgent?: string;
}

/** Where something went wrong, for {@link GatewayObserver.error}. */
export interface GatewayErrorContext {
  /** `authorizer`, `route` (an integration), `observer`, `socket`, `http` ... */
  phase: string;
  connectionId?: string;
  routeKey?: string;
}

/**
 * Hooks for logging what crosses the gateway (the "In: … / Out: …" lines). A hook that throws
 * is reported to `error` (if that one throws too, it is dropped); it never breaks a connection.
 */
export interface GatewayObserver {
  /** Every text frame a client sent, before routing. */
  frameIn?(connectionId: string, data: string): void;
  /** Every frame sent to a client: posts through `@connections` and the gateway's own error frames. */
  frameOut?(connectionId: string, data: string): void;
  /** A connection was accepted ($connect and the authorizer allowed it; the handshake is answered). */
  connected?(connectionId: string, identity: ConnectionIdentity, detail?: ConnectDetail): void;
  /** A handshake was refused (by the gateway, the authorizer or `$connect`), with what the client got. */
  refused?(refusal: HandshakeRefusal): void;
  /**
   * A connection that `$connect` had accepted is closed (before its `$disconnect` runs). Also
   * called, without a `connected` before it, when the client left while `$connect` ran.
   */
  disconnected?(connectionId: string, info: DisconnectInfo, detail?: CloseDetail): void;
  /** A handler failed or timed out, an authorizer misbehaved, ws refused a frame, an observer hook threw ... */
  error?(error: unknown, context: GatewayErrorContext): void;
}

/** Options of {@link startGateway}. All limits default to API Gateway's quotas. */
export interface GatewayOptions {
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** The stage: the WebSocket URL's and the callback URL's path. */
  stage: string;
  /** `requestContext.apiId` and part of the authorizer's `methodArn` (default `local`). */
  apiId?: string;
  /** Region and account in the authorizer's `methodArn` (defaults `us-east-1`, `123456789012`). */
  region?: string;
  accountId?: string;
  /** Close a connection with no data frame in or out for this long (default 10 minutes). */
  idleTimeoutMs?: number;
  /** Close any connection this long after it opened (default 2 hours). */
  maxConnectionMs?: number;
  /** A client frame larger than this closes the connection with 1009 (default 32 KB). */
  maxFrameBytes?: number;
  /** A client message (all its frames) larger than this closes the connection with 1009 (default 128 KB). */
  maxMessageBytes?: number;
  /** A `@connections` POST larger than this is refused with 413 (default 128 KB). */
  maxPostBytes?: number;
  /** API Gateway gives up on an integration after this long (default 29 s). */
  integrationTimeoutMs?: number;
  /**
   * One connection's frames run concurrently, as API Gateway invokes them (no order between
   * them); at most this many at once, the next ones waiting in arrival order (default 10).
   */
  maxFramesInFlightPerConnection?: number;
  /** Frames of all connections in their handlers at once (default 1,000, Lambda's default account concurrency). */
  maxFramesInFlight?: number;
  observer?: GatewayObserver;
  /**
   * Plain HTTP requests that are neither the stage nor `@connections` (the local dashboard):
   * answers and returns true, or returns false for API Gateway's 403.
   */
  httpFallback?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** The URLs the handlers need: clients connect to `url`, handlers post to `callbackUrl`. */
export interface GatewayUrls {
  /** `ws://HOST:PORT/STAGE` */
  url: string;
  /** `http://HOST:PORT/STAGE`: the management API's endpoint for `ApiGatewayManagementApiClient`. */
  callbackUrl: string;
}

/** A running emulator. */
export interface Gateway extends GatewayUrls {
  port: number;
  /** Connections whose handshake was accepted and that are not closed yet. */
  connectionCount(): number;
  /**
   * Closes every connection (each gets its `$disconnect`), waits for handlers still running
   * (each bounded by its timeout), then closes the HTTP server. Safe to call twice.
   */
  close(): Promise<void>;
}
