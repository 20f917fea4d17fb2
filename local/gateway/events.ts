import type { IncomingMessage } from 'node:http';
import { apiGatewayId, traceId } from './ids.js';
import type { ConnectionIdentity, DisconnectInfo } from './types.js';

/**
 * The events API Gateway sends to Lambda proxy integrations of a WebSocket API, built the way
 * the docs show them ("Input format of a Lambda function for proxy integration for WebSocket
 * APIs"): https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html
 * and the context variables of
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
 *
 *   CONNECT     headers, multiValueHeaders, [queryStringParameters, multiValueQueryStringParameters],
 *               requestContext, isBase64Encoded
 *   MESSAGE     requestContext (+ messageId), body, isBase64Encoded
 *   DISCONNECT  fixed headers, requestContext (+ disconnectStatusCode, disconnectReason), isBase64Encoded
 */

/** What every event of one connection shares. */
export interface ConnectionFacts {
  connectionId: string;
  /** Epoch ms of the upgrade request (`requestContext.connectedAt`). */
  connectedAt: number;
  identity: ConnectionIdentity;
  /** The Host the client connected to (`requestContext.domainName`). */
  domainName: string;
  stage: string;
  apiId: string;
  /** The authorizer's principalId and context, once an authorizer allowed the connection. */
  authorizer?: Record<string, string | number>;
}

/** Headers and query string of the upgrade request, in the two shapes of a proxy event. */
export interface HandshakeRequest {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  /** `undefined` when the URL has no query parameters. */
  query?: QueryParameters;
}

export interface QueryParameters {
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
}

/**
 * Reads headers (names as the client sent them, later values winning in `headers` and all kept
 * in `multiValueHeaders`, as in proxy events) and the query string of an upgrade request.
 */
export function readHandshake(req: IncomingMessage): HandshakeRequest {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  const query = mark === -1 ? undefined : parseQueryString(url.slice(mark + 1));
  return { headers, multiValueHeaders, ...(query ? { query } : {}) };
}

/**
 * Parses a raw query string into the two maps of a proxy event; `undefined` when it holds no
 * parameter. A malformed escape (`%E0%A4%A`) is passed through undecoded instead of failing the
 * request; `+` is kept as is (tokens are often base64). Both are local choices: the docs do not
 * say what API Gateway does with them.
 */
export function parseQueryString(raw: string): QueryParameters | undefined {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  let any = false;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : safeDecode(part.slice(eq + 1));
    single[name] = value;
    (multi[name] ??= []).push(value);
    any = true;
  }
  return any ? { queryStringParameters: single, multiValueQueryStringParameters: multi } : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `requestContext.requestTime`: `13/Dec/2020:10:17:47 +0000` (CLF format, UTC). */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The requestContext common to all three event types, keys in the order API Gateway sends them. */
function requestContext(facts: ConnectionFacts, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', now: number, extra: { messageId?: string; disconnect?: DisconnectInfo } = {}) {
  // "$context.requestId: Same as $context.extendedRequestId" (mapping template reference).
  const requestId = apiGatewayId();
  return {
    routeKey,
    ...(extra.disconnect ? { disconnectStatusCode: extra.disconnect.statusCode } : {}),
    ...(extra.messageId ? { messageId: extra.messageId } : {}),
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    messageDirection: 'IN' as const,
    ...(extra.disconnect ? { disconnectReason: extra.disconnect.reason } : {}),
    stage: facts.stage,
    connectedAt: facts.connectedAt,
    requestTimeEpoch: now,
    identity: { ...facts.identity },
    requestId,
    domainName: facts.domainName,
    connectionId: facts.connectionId,
    apiId: facts.apiId,
    ...(facts.authorizer ? { authorizer: { ...facts.authorizer } } : {}),
  };
}

/**
 * The headers API Gateway hands to `$connect`: the client's, without the hop-by-hop
 * `Connection`/`Upgrade` (absent from the documented event), plus the ones it adds itself.
 * Locally the protocol is `http` and the port the emulator's.
 */
function connectHeaders(request: HandshakeRequest, facts: ConnectionFacts, port: number, now: number): Pick<HandshakeRequest, 'headers' | 'multiValueHeaders'> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const forwardedFor: string[] = [];
  for (const [name, values] of Object.entries(request.multiValueHeaders)) {
    const lower = name.toLowerCase();
    if (lower === 'connection' || lower === 'upgrade') continue;
    if (lower === 'x-forwarded-for') {
      forwardedFor.push(...values);
      continue;
    }
    if (lower === 'x-forwarded-port' || lower === 'x-forwarded-proto' || lower === 'x-amzn-trace-id') continue;
    headers[name] = values[values.length - 1] ?? '';
    multiValueHeaders[name] = [...values];
  }
  const added: Record<string, string> = {
    'X-Amzn-Trace-Id': traceId(now),
    'X-Forwarded-For': [...forwardedFor, facts.identity.sourceIp].join(', '),
    'X-Forwarded-Port': String(port),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(added)) {
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  return { headers, multiValueHeaders };
}

/** The CONNECT event for the `$connect` route. */
export function connectEvent(facts: ConnectionFacts, request: HandshakeRequest, port: number, now: number) {
  return {
    ...connectHeaders(request, facts, port, now),
    // Absent (not null) without a query string, as in the documented event: handlers must
    // cope with `undefined`, which `event.queryStringParameters ?? {}` does.
    ...(request.query ?? {}),
    requestContext: requestContext(facts, '$connect', 'CONNECT', now),
    isBase64Encoded: false,
  };
}

/** The MESSAGE event for a message routed to `routeKey`. Only text frames get this far. */
export function messageEvent(facts: ConnectionFacts, routeKey: string, body: string, now: number) {
  return {
    requestContext: requestContext(facts, routeKey, 'MESSAGE', now, { messageId: apiGatewayId() }),
    body,
    isBase64Encoded: false,
  };
}

/**
 * The DISCONNECT event. Its headers are not the client's: the documented event carries only
 * `Host` and three empty ones, because the connection is already gone when it is sent.
 */
export function disconnectEvent(facts: ConnectionFacts, info: DisconnectInfo, now: number) {
  const headers: Record<string, string> = { Host: facts.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  return {
    headers,
    multiValueHeaders,
    requestContext: requestContext(facts, '$disconnect', 'DISCONNECT', now, { disconnect: info }),
    isBase64Encoded: false,
  };
}

/**
 * The input of a `$connect` REQUEST authorizer: `type`, `methodArn` ending in `/$connect`, the
 * upgrade request's headers (here with `Connection` and `Upgrade`, as in the documented input)
 * and query string, and the connection's requestContext.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
 */
export function authorizerEvent(facts: ConnectionFacts, request: HandshakeRequest, methodArn: string, now: number) {
  return {
    type: 'REQUEST' as const,
    methodArn,
    headers: { ...request.headers },
    multiValueHeaders: Object.fromEntries(Object.entries(request.multiValueHeaders).map(([k, v]) => [k, [...v]])),
    ...(request.query ?? {}),
    stageVariables: {},
    requestContext: requestContext({ ...facts, authorizer: undefined }, '$connect', 'CONNECT', now),
  };
}
