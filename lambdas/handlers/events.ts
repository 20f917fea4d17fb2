/**
 * The parts of API Gateway's WebSocket Lambda proxy events that the handlers read
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html).
 */
export interface WebSocketRequestContext {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  connectionId: string;
  connectedAt?: number;
  requestTimeEpoch?: number;
  messageId?: string;
  domainName?: string;
  stage?: string;
  apiId?: string;
  identity?: { sourceIp?: string; userAgent?: string };
  disconnectStatusCode?: number;
  disconnectReason?: string;
  authorizer?: Record<string, unknown>;
}

export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
}

/** What a WebSocket route's Lambda returns; for $connect a non-2xx status refuses the handshake. */
export interface WebSocketResult {
  statusCode: number;
  body?: string;
}

export const OK: WebSocketResult = { statusCode: 200 };
