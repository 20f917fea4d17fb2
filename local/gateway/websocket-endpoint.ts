import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decideOnFailure, decideOnOutput, hasIdentity, INTERNAL_SERVER_ERROR, UNAUTHORIZED } from './authorizer.js';
import { ConnectionRegistry, GatewayConnection } from './connection-registry.js';
import { authorizerEvent, connectEvent, disconnectEvent, messageEvent, parseQueryString, readHandshake, type ConnectionFacts, type HandshakeRequest } from './events.js';
import { apiGatewayId } from './ids.js';
import { invoke } from './invoke.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { causeOf, CLOSE, FrameSizeGuard } from './limits.js';
import type { SafeObserver } from './observer.js';
import { errorFrame, messageBody, refuseHandshake } from './responses.js';
import { selectRoute } from './route-selection.js';
import type { CloseDetail, DisconnectInfo, GatewayAuthorizer, GatewayRoutes, HandshakeRefusal } from './types.js';

/**
 * The WebSocket side of the emulator: the handshake with its authorizer and `$connect`, routing
 * of messages, the limits, and `$disconnect`.
 *
 *   client                       emulator                                  handlers
 *     | GET /stage Upgrade ------->| (authorizer) ---------------------------->|
 *     |                            | $connect ------------------------------->|  posts here get 410
 *     |<-- 101 / or its refusal ---|<----------------- statusCode -------------|
 *     | text frame --------------->| select route, bounded per connection ---->|  concurrently
 *     |<-- posted frames ----------|<------------ POST @connections -----------|
 *     | close / idle / limit ----->| $disconnect (once, after accepted) ----->|  frames may still run
 *
 * As in AWS, `$connect` completes before any frame of its connection is routed (the socket is
 * upgraded only then), frames of one connection run concurrently with no order between them, and
 * `$disconnect` runs once the socket is closed, possibly while frames are still running.
 */
export interface EndpointSettings {
  stage: string;
  apiId: string;
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}` (the authorizer's methodArn prefix). */
  executeApiArn: string;
  /** `arn:aws:lambda:{region}:{account}` (for the Lambda context's invokedFunctionArn). */
  lambdaArnPrefix: string;
  /** The gateway's own `host:port`, when a client sent no Host header. */
  authority: string;
  port: number;
  idleTimeoutMs: number;
  maxConnectionMs: number;
  maxFrameBytes: number;
  maxMessageBytes: number;
  integrationTimeoutMs: number;
  /** One connection's frames in their handlers at once; the next ones wait in arrival order. */
  maxFramesInFlightPerConnection: number;
  /** All connections' frames in their handlers at once. */
  maxFramesInFlight: number;
}

/** The outcome of the authorizer and `$connect` for one handshake. */
type Admission =
  | { accepted: true; protocol?: string }
  | { accepted: false; statusCode: number; body: string; headers?: Record<string, string>; by: 'authorizer' | '$connect' };

export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;
  /** The subprotocol `$connect` chose for each upgrade request (`Sec-WebSocket-Protocol` in its response). */
  private readonly chosenProtocols = new WeakMap<IncomingMessage, string | undefined>();
  /** Handshakes still running their authorizer or `$connect`. */
  private readonly handshakes = new Set<Promise<void>>();
  /** Frames (running or waiting for a slot) and `$disconnect` runs not finished yet. */
  private readonly running = new Set<Promise<void>>();
  /** The bound on frames of all connections in their handlers at once. */
  private readonly frameSlots: ConcurrencyLimit;
  private readonly closed = new Map<string, Promise<void>>();
  private shuttingDown = false;

  constructor(
    private readonly settings: EndpointSettings,
    private readonly routes: GatewayRoutes,
    private readonly registry: ConnectionRegistry,
    private readonly observer: SafeObserver,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // API Gateway negotiates no extension here; and frame sizes must be the real sizes.
      perMessageDeflate: false,
      // A safety net behind FrameSizeGuard: ws closes with 1009 past this too.
      maxPayload: settings.maxMessageBytes,
      // Only what `$connect` put in its response's Sec-WebSocket-Protocol header is agreed:
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
      handleProtocols: (offered, req) => {
        const chosen = this.chosenProtocols.get(req);
        return chosen !== undefined && offered.has(chosen) ? chosen : false;
      },
    });
    this.wss.on('error', (error) => this.observer.error(error, { phase: 'socket' }));
    this.frameSlots = new ConcurrencyLimit(settings.maxFramesInFlight);
  }

  /** Handles an HTTP upgrade request. Never throws; every failure ends in a refusal or a close. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that resets its TCP connection is not a failure of anything: ws and the close
    // handling below deal with the consequences; the error itself is dropped.
    socket.on('error', () => undefined);
    const query = queryOf(req);
    const refuse = (statusCode: number, body: string): void => this.refuse(socket, { statusCode, body, by: 'gateway', query });
    if (this.shuttingDown) return refuse(503, messageBody('Service Unavailable'));
    const path = (req.url ?? '/').split('?')[0];
    // Any other path than the stage is refused as API Gateway refuses an unknown stage.
    if (path !== `/${this.settings.stage}` && path !== `/${this.settings.stage}/`) return refuse(403, messageBody('Forbidden'));
    const invalid = invalidUpgrade(req);
    if (invalid) return refuse(400, messageBody(invalid));

    const handshake = this.handshake(req, socket, head).catch((error: unknown) => {
      this.observer.error(error, { phase: 'handshake' });
      refuse(500, messageBody(INTERNAL_SERVER_ERROR));
    });
    this.handshakes.add(handshake);
    void handshake.finally(() => this.handshakes.delete(handshake));
  }

  /**
   * Closes every connection (1001) and waits until each has had its `$disconnect`, every frame
   * received has been handled and every running handshake has ended (a handshake accepted
   * meanwhile is refused with 503 and gets its `$disconnect` too).
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const connection of this.registry.all()) connection.close(CLOSE.shutdown);
    await Promise.allSettled([...this.handshakes]);
    await Promise.allSettled([...this.closed.values()]);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Keeps `work` until it settles, so that shutdown waits for it. */
  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Answers the handshake with an HTTP error, and tells the observer (the log shows why). */
  private refuse(socket: Duplex, refusal: HandshakeRefusal, headers?: Record<string, string>): void {
    refuseHandshake(socket, refusal.statusCode, refusal.body, headers);
    this.observer.refused(refusal);
  }

  /** Why the connection ended, for the log: which limit, or which `$connect` was running at a DELETE. */
  private closeDetail(connection: GatewayConnection, info: DisconnectInfo): CloseDetail {
    const cause = causeOf(info);
    const limitMs = cause === 'idle' ? this.settings.idleTimeoutMs : cause === 'maxDuration' ? this.settings.maxConnectionMs : undefined;
    return {
      cause,
      ...(limitMs !== undefined ? { limitMs } : {}),
      query: { ...connection.query },
      ...(cause === 'deleted' && connection.deletedDuringConnectOf ? { deletedDuringConnectOf: connection.deletedDuringConnectOf } : {}),
    };
  }

  /** Authorizer, then `$connect`, then the 101 answer (or the refusal). */
  private async handshake(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const now = Date.now();
    const request = readHandshake(req);
    const userAgent = req.headers['user-agent'];
    const facts: ConnectionFacts = {
      connectionId: apiGatewayId(),
      connectedAt: now,
      identity: { sourceIp: sourceIpOf(req), ...(userAgent !== undefined ? { userAgent } : {}) },
      domainName: req.headers.host ?? this.settings.authority,
      stage: this.settings.stage,
      apiId: this.settings.apiId,
    };
    const connection = new GatewayConnection(facts, this.settings, (data) => this.observer.frameOut(facts.connectionId, data));
    connection.query = { ...(request.query?.queryStringParameters ?? {}) };
    // Known, but not `open`, while the authorizer and $connect run: @connections calls for it get
    // 410, as in AWS.
    this.registry.add(connection);

    let admission: Admission;
    try {
      admission = await this.admit(connection, request);
    } catch (error) {
      this.registry.delete(connection.id);
      throw error;
    }
    if (!admission.accepted) {
      this.registry.delete(connection.id);
      const { statusCode, body, headers, by } = admission;
      return this.refuse(socket, { connectionId: connection.id, statusCode, body, by, query: connection.query }, headers);
    }

    if (!this.shuttingDown && socket.writable && !socket.destroyed) {
      const guard = new FrameSizeGuard(this.settings.maxFrameBytes, this.settings.maxMessageBytes, (info) => connection.close(info));
      // Before ws's own listener (added in handleUpgrade, synchronously): the guard sees a frame
      // header before ws can deliver the frame.
      socket.on('data', (chunk: Buffer) => guard.push(chunk));
      this.chosenProtocols.set(req, admission.protocol);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(connection, ws));
    }
    if (connection.state === 'connecting') {
      // $connect accepted it, but the client left meanwhile, or the gateway is shutting down:
      // its handlers may have stored it, so it still gets its $disconnect.
      this.refuse(socket, { connectionId: connection.id, statusCode: 503, body: messageBody('Service Unavailable'), by: 'gateway', query: connection.query });
      const info = this.shuttingDown ? CLOSE.shutdown : CLOSE.noStatus;
      connection.markClosed(info.statusCode, info.reason);
      this.ended(connection, info);
    }
  }

  /** Runs the authorizer and `$connect`: accepted (with the subprotocol `$connect` chose) or refused. */
  private async admit(connection: GatewayConnection, request: HandshakeRequest): Promise<Admission> {
    const { facts } = connection;
    const authorizer = this.routes.authorizer;
    if (authorizer) {
      const decision = await this.authorize(authorizer, facts, request);
      if (!decision.allow) return { accepted: false, statusCode: decision.statusCode, body: messageBody(decision.message), by: 'authorizer' };
      facts.authorizer = decision.authorizer;
    }

    const connect = this.routes.routes.get('$connect');
    // Setting up an integration for $connect is optional; without one every client is accepted.
    if (!connect) return { accepted: true };
    const result = await invoke(connect, connectEvent(facts, request, this.settings.port, Date.now()), this.settings.integrationTimeoutMs, this.settings.lambdaArnPrefix);
    if (!result.ok) {
      this.observer.error(result.error, { phase: 'route', routeKey: '$connect', connectionId: facts.connectionId });
      return { accepted: false, statusCode: 500, body: messageBody(INTERNAL_SERVER_ERROR), by: '$connect' };
    }
    const response = proxyResponse(result.value);
    // "Until execution of the integration associated with the $connect route is completed, the
    // upgrade request is pending"; a failing $connect means no connection:
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
    if (response.statusCode < 200 || response.statusCode > 299) {
      return { accepted: false, statusCode: response.statusCode, body: response.body, headers: response.headers, by: '$connect' };
    }
    return { accepted: true, protocol: response.headers['sec-websocket-protocol'] };
  }

  private async authorize(authorizer: GatewayAuthorizer, facts: ConnectionFacts, request: HandshakeRequest) {
    if (!hasIdentity(authorizer.identitySource, request)) return { allow: false as const, statusCode: 401 as const, message: UNAUTHORIZED };
    const methodArn = `${this.settings.executeApiArn}/$connect`;
    const result = await invoke(authorizer.fn, authorizerEvent(facts, request, methodArn, Date.now()), this.settings.integrationTimeoutMs, this.settings.lambdaArnPrefix);
    const decision = result.ok ? decideOnOutput(result.value, methodArn, result.durationMs) : decideOnFailure(result.error);
    if (!decision.allow && decision.statusCode === 500) {
      this.observer.error(result.ok ? new Error(decision.detail) : result.error, { phase: 'authorizer', connectionId: facts.connectionId });
    }
    return decision;
  }

  private opened(connection: GatewayConnection, ws: WebSocket): void {
    connection.open(ws);
    let closed!: () => void;
    this.closed.set(connection.id, new Promise<void>((resolve) => (closed = resolve)));
    ws.on('message', (data, isBinary) => this.received(connection, data, isBinary));
    ws.on('error', (error: Error & { code?: string }) => {
      // ws has closed the connection itself (its payload limit, invalid UTF-8, a bad frame).
      connection.failedWith(error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CLOSE.messageTooLarge : error.code === 'WS_ERR_INVALID_UTF8' ? CLOSE.invalidUtf8 : CLOSE.protocolError);
      this.observer.error(error, { phase: 'socket', connectionId: connection.id });
    });
    ws.on('close', (code, reason) => {
      const info = connection.markClosed(code, reason.toString('utf8'));
      this.closed.delete(connection.id);
      closed();
      this.ended(connection, info);
    });
    this.observer.connected(connection.id, connection.facts.identity, { query: { ...connection.query } });
  }

  private received(connection: GatewayConnection, data: RawData, isBinary: boolean): void {
    // Frames still buffered after the gateway started closing are dropped.
    if (connection.state !== 'open') return;
    if (isBinary) return connection.close(CLOSE.binaryFrame);
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    connection.touch();
    this.observer.frameIn(connection.id, text);
    // API Gateway invokes each message's integration as it comes, concurrently with the
    // connection's other messages, and promises no order: so does this, up to the two bounds (a
    // frame past one waits; frames start in arrival order but may finish in any).
    // Stamped on arrival, as API Gateway's requestTimeEpoch is: not when a slot came free.
    const arrivedAt = Date.now();
    const frame = connection.frames
      .run(() => this.frameSlots.run(() => this.dispatch(connection, text, arrivedAt)))
      .catch((error: unknown) => this.observer.error(error, { phase: 'dispatch', connectionId: connection.id }));
    this.track(frame);
  }

  private async dispatch(connection: GatewayConnection, body: string, arrivedAt: number): Promise<void> {
    const selected = selectRoute(this.routes.selectionExpression, body, this.routes.routes);
    if (!selected) {
      await connection.send(errorFrame('Forbidden', connection.id, apiGatewayId()));
      return;
    }
    const event = messageEvent(connection.facts, selected.routeKey, body, arrivedAt);
    const result = await invoke(selected.target, event, this.settings.integrationTimeoutMs, this.settings.lambdaArnPrefix);
    // The route's result is not sent back: without route responses API Gateway discards it, and
    // only @connections posts reach the client.
    if (!result.ok) {
      this.observer.error(result.error, { phase: 'route', routeKey: selected.routeKey, connectionId: connection.id });
      await connection.send(errorFrame(INTERNAL_SERVER_ERROR, connection.id, event.requestContext.requestId));
    }
  }

  /**
   * The connection is gone: forget it (posts now get 410), then run `$disconnect` once, at once:
   * frames received before the close still run (or wait for their slot), and may overlap it, as
   * in AWS. "The $disconnect route is executed after the connection is closed", best effort in
   * AWS, always here:
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
   */
  private ended(connection: GatewayConnection, info: DisconnectInfo): void {
    this.registry.delete(connection.id);
    this.observer.disconnected(connection.id, info, this.closeDetail(connection, info));
    const disconnect = this.routes.routes.get('$disconnect');
    if (!disconnect) return;
    const ending = (async () => {
      try {
        const result = await invoke(disconnect, disconnectEvent(connection.facts, info, Date.now()), this.settings.integrationTimeoutMs, this.settings.lambdaArnPrefix);
        if (!result.ok) this.observer.error(result.error, { phase: 'route', routeKey: '$disconnect', connectionId: connection.id });
      } catch (error) {
        this.observer.error(error, { phase: 'disconnect', connectionId: connection.id });
      }
    })();
    this.track(ending);
  }
}

/** The query string of an upgrade request as `queryStringParameters` has it (empty without one). */
function queryOf(req: IncomingMessage): Record<string, string> {
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  return mark === -1 ? {} : (parseQueryString(url.slice(mark + 1))?.queryStringParameters ?? {});
}

/** What ws itself would refuse, checked before running the authorizer and `$connect` for nothing. */
function invalidUpgrade(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'Invalid HTTP method';
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
  if (!/^[+/0-9A-Za-z]{22}==$/.test(req.headers['sec-websocket-key'] ?? '')) return 'Missing or invalid Sec-WebSocket-Key header';
  const version = Number(req.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) return 'Missing or invalid Sec-WebSocket-Version header';
  return undefined;
}

/** The client's address, without the IPv4-mapped IPv6 prefix. */
function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Reads a `$connect` result as a Lambda proxy response. No result, or one without a statusCode,
 * counts as 200 (the connection is accepted).
 */
function proxyResponse(value: unknown): { statusCode: number; body: string; headers: Record<string, string> } {
  if (value === null || typeof value !== 'object') return { statusCode: 200, body: '', headers: {} };
  const { statusCode, body, headers } = value as { statusCode?: unknown; body?: unknown; headers?: unknown };
  const code = typeof statusCode === 'number' ? statusCode : typeof statusCode === 'string' && /^\d{3}$/.test(statusCode) ? Number(statusCode) : 200;
  const flat: Record<string, string> = {};
  if (headers !== null && typeof headers === 'object') {
    for (const [name, v] of Object.entries(headers)) if (v !== undefined && v !== null) flat[name.toLowerCase()] = String(v);
  }
  const text = body === undefined || body === null ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return { statusCode: code, body: text, headers: flat };
}
