import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What API Gateway itself answers, as opposed to what the integrations return.
 *
 * Error frames: when a message selects no route and there is no `$default`, and when a route's
 * integration fails, the client gets a text frame, byte for byte as API Gateway writes it (note
 * the space after the first colon only):
 *
 *   {"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="}
 *   {"message": "Internal server error", "connectionId":"VNRUSeldSwMCIRQ=", "requestId":"VNRXVFJOywMF3-Q="}
 *
 * (as captured from AWS in aws-samples/simple-websockets-chat-app issues #24 and #42; the route
 * rules are in https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).
 */
export function errorFrame(message: 'Forbidden' | 'Internal server error', connectionId: string, requestId: string): string {
  return `{"message": ${JSON.stringify(message)}, "connectionId":${JSON.stringify(connectionId)}, "requestId":${JSON.stringify(requestId)}}`;
}

/** `{"message":"..."}`, the body of API Gateway's own HTTP error responses. */
export function messageBody(message: string): string {
  return JSON.stringify({ message });
}

/**
 * Refuses a WebSocket handshake with a plain HTTP response on the raw socket (the client sees
 * e.g. "Unexpected server response: 401"), then closes it.
 */
export function refuseHandshake(socket: Duplex, statusCode: number, body: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const lines = [
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}`,
    'Connection: close',
    `Content-Type: ${headers['content-type'] ?? 'application/json'}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers)
      .filter(([name]) => !['connection', 'content-type', 'content-length', 'transfer-encoding'].includes(name.toLowerCase()))
      .map(([name, value]) => `${name}: ${value.replace(/[\r\n]/g, ' ')}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Answers an HTTP request with JSON (or nothing), and the management API's error type header. */
export function sendHttp(res: ServerResponse, statusCode: number, body?: string, errorType?: string): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'content-length': body === undefined ? 0 : Buffer.byteLength(body) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // SDK v3 names its error after this header: `error.name === 'GoneException'`.
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(statusCode, headers).end(body);
}
