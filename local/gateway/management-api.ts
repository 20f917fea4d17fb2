import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionRegistry } from './connection-registry.js';
import { CLOSE } from './limits.js';
import { messageBody, sendHttp } from './responses.js';

/**
 * The `@connections` management API, on the callback URL (`http://HOST:PORT/STAGE`), for the real
 * `ApiGatewayManagementApiClient`:
 *
 *   POST   /{stage}/@connections/{id}   body = the text frame to send      200, empty
 *   GET    /{stage}/@connections/{id}   connection info                    200, JSON
 *   DELETE /{stage}/@connections/{id}   close the connection               204
 *   unknown, closed or still in $connect                                   410 GoneException
 *   POST body over 128 KB                                                  413 PayloadTooLargeException
 *
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 * The JSON names (`connectedAt`, `identity.sourceIp`, ...) and the error types are those of the
 * service model the SDK is generated from (apigatewaymanagementapi-2018-11-29); the SDK turns them
 * into `ConnectedAt`, `Identity.SourceIp`, ... and `GoneException`. Gone answers carry the type in
 * `x-amzn-ErrorType` and an empty body, as API Gateway's do. Requests are SigV4-signed by the SDK;
 * locally any signature (or none) is accepted.
 */
export interface ManagementApiOptions {
  stage: string;
  maxPostBytes: number;
}

const GONE = 'GoneException';
const TOO_LARGE = 'PayloadTooLargeException';

/** Handles the request if it is for `@connections`; `false` when it is not (the caller answers). */
export async function handleManagementRequest(req: IncomingMessage, res: ServerResponse, registry: ConnectionRegistry, options: ManagementApiOptions): Promise<boolean> {
  const connectionId = connectionIdOf(req.url ?? '/', options.stage);
  if (connectionId === undefined) return false;
  const method = req.method ?? 'GET';
  // Read the whole body first (bounded): answering before it is read would break keep-alive.
  const body = await readBody(req, options.maxPostBytes);
  const connection = registry.get(connectionId);

  if (method === 'POST') {
    if (body === 'too-large') {
      sendHttp(res, 413, messageBody('Message too long'), TOO_LARGE);
      return true;
    }
    if (!connection || connection.state !== 'open') return gone(res);
    const outcome = await connection.send(body);
    if (outcome === 'gone') return gone(res);
    sendHttp(res, 200);
    return true;
  }
  if (method === 'GET') {
    if (!connection || connection.state !== 'open') return gone(res);
    const info = {
      connectedAt: new Date(connection.facts.connectedAt).toISOString(),
      identity: { sourceIp: connection.facts.identity.sourceIp, userAgent: connection.facts.identity.userAgent ?? '' },
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    };
    sendHttp(res, 200, JSON.stringify(info));
    return true;
  }
  if (method === 'DELETE') {
    if (!connection || connection.state !== 'open') return gone(res);
    // A $connect that closes an older connection (a session takeover) runs right now: the log
    // can then say which new connection took over.
    connection.deletedDuringConnectOf ??= registry
      .all()
      .filter((other) => other.state === 'connecting')
      .map((other) => ({ connectionId: other.id, query: { ...other.query } }));
    connection.close(CLOSE.deleted);
    sendHttp(res, 204);
    return true;
  }
  sendHttp(res, 404, messageBody(`No method found matching route ${options.stage}/@connections/${connectionId} for http method ${method}.`));
  return true;
}

function gone(res: ServerResponse): true {
  sendHttp(res, 410, undefined, GONE);
  return true;
}

/** The connection id of `/{stage}/@connections/{id}` (`@` and the id may be percent-encoded). */
function connectionIdOf(url: string, stage: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  const segments = path.split('/').map(safeDecode);
  if (segments.length !== 4 || segments[0] !== '' || segments[1] !== stage || segments[2] !== '@connections') return undefined;
  return segments[3] || undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The body, or `too-large` once it passes `limit` (the rest is drained, not kept). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? 'too-large' : Buffer.concat(chunks);
}
