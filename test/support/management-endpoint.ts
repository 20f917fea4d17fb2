import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { freePort } from './free-port.js';

/**
 * A stand-in for API Gateway's `@connections` management API, on 127.0.0.1, for the real
 * `ApiGatewayManagementApiClient` to talk to:
 *
 *   POST   /{stage}/@connections/{id}  record the body          200, empty body
 *   GET    /{stage}/@connections/{id}  connection info (JSON)   200
 *   DELETE /{stage}/@connections/{id}  the connection is gone   204
 *
 * Every connection id is live until the test marks it gone or deletes it; from then on every
 * request for it answers 410 the way API Gateway does: the error type in the
 * `x-amzn-ErrorType` header and an empty body (the SDKs report "GoneException: 410" / a null
 * message, and the PHP SDK fails to parse a JSON body from it). SDK v3 takes the error's
 * name from that header, so `error.name === 'GoneException'` exactly as in AWS.
 */
export interface ManagementEndpoint {
  /** The callback URL to give the client (`endpoint`), with the stage path: `http://127.0.0.1:PORT/test`. */
  readonly url: string;
  /** Bodies posted to a connection (UTF-8 decoded), in order; posts that failed are not included. */
  received(connectionId: string): string[];
  /** Every accepted post, in order. */
  all(): PostedFrame[];
  /** Every request, accepted or not (method, connection id, headers), in order. */
  requests(): RecordedRequest[];
  /** Connection ids closed through DELETE (DeleteConnection), in order. */
  deleted(): string[];
  /** Forgets posts, requests, gone marks and injected failures. */
  clear(): void;
  /** From now on the connection answers 410 GoneException. */
  markGone(connectionId: string): void;
  /** Whether the connection is gone (marked, or deleted through DELETE). */
  isGone(connectionId: string): boolean;
  /** The next `times` requests for the connection answer `status` (500, 429, 403 ...) instead. */
  failNext(connectionId: string, status: number, times?: number): void;
  /**
   * Called after each accepted post, once the response is on its way (a real client answers
   * after it got the frame). What it returns is awaited by {@link idle}.
   */
  onPost?: (connectionId: string, body: string) => void | Promise<void>;
  /** Waits until every onPost reaction has finished; rethrows the first that failed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** One accepted post. */
export interface PostedFrame {
  connectionId: string;
  body: string;
}

/** One request as received, for asserting on method, path id and signing headers. */
export interface RecordedRequest {
  method: string;
  connectionId: string;
  headers: IncomingHttpHeaders;
}

export interface ManagementEndpointOptions {
  /** The stage path segment (default `test`). */
  stage?: string;
  /** API Gateway refuses larger posts with 413 PayloadTooLargeException (default 128 KB). */
  maxPayloadBytes?: number;
}

/** The modeled error types of the management API, by HTTP status. */
const ERROR_TYPES: Record<number, string> = {
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
};

/** Starts a {@link ManagementEndpoint} on a free port of 127.0.0.1; `close()` it when done. */
export async function startManagementEndpoint(options: ManagementEndpointOptions = {}): Promise<ManagementEndpoint> {
  const stage = options.stage ?? 'test';
  const maxPayloadBytes = options.maxPayloadBytes ?? 128 * 1024;
  const posted: PostedFrame[] = [];
  const requests: RecordedRequest[] = [];
  const gone = new Set<string>();
  const deleted: string[] = [];
  const failures = new Map<string, { status: number; times: number }>();
  const connectedAt = new Map<string, Date>();
  const lastActiveAt = new Map<string, Date>();
  const reactions = new Set<Promise<void>>();
  const reactionErrors: unknown[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(error) });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  const endpoint: ManagementEndpoint = {
    url: `http://127.0.0.1:${port}/${stage}`,
    received: (id) => posted.filter((p) => p.connectionId === id).map((p) => p.body),
    all: () => [...posted],
    requests: () => [...requests],
    deleted: () => [...deleted],
    clear: () => {
      posted.length = 0;
      deleted.length = 0;
      requests.length = 0;
      gone.clear();
      failures.clear();
      connectedAt.clear();
      lastActiveAt.clear();
    },
    markGone: (id) => void gone.add(id),
    isGone: (id) => gone.has(id),
    failNext: (id, status, times = 1) => void failures.set(id, { status, times }),
    idle: async () => {
      while (reactions.size > 0) await Promise.allSettled([...reactions]);
      const first = reactionErrors.shift();
      reactionErrors.length = 0;
      if (first !== undefined) throw first;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Idle keep-alive sockets of SDK clients must not hold the close open.
        server.closeIdleConnections();
      }),
  };

  const route = new RegExp(`^/${escapeRegExp(stage)}/@connections/([^/]+)$`);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const match = route.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!match?.[1]) return send(res, 404, { message: 'Not Found' });
    const id = decodeURIComponent(match[1]);
    const method = req.method ?? 'GET';
    requests.push({ method, connectionId: id, headers: req.headers });

    const failure = failures.get(id);
    if (failure) {
      if (--failure.times <= 0) failures.delete(id);
      return sendError(res, failure.status);
    }
    if (gone.has(id)) return sendError(res, 410);
    if (!connectedAt.has(id)) connectedAt.set(id, new Date());

    switch (method) {
      case 'POST': {
        if (body.length > maxPayloadBytes) return sendError(res, 413, { message: 'Message too long' });
        const text = body.toString('utf8');
        posted.push({ connectionId: id, body: text });
        lastActiveAt.set(id, new Date());
        res.writeHead(200).end();
        react(id, text);
        return;
      }
      case 'GET':
        return send(res, 200, {
          connectedAt: connectedAt.get(id)?.toISOString(),
          identity: { sourceIp: '127.0.0.1', userAgent: 'qosgate-test' },
          lastActiveAt: (lastActiveAt.get(id) ?? connectedAt.get(id))?.toISOString(),
        });
      case 'DELETE':
        gone.add(id);
        deleted.push(id);
        res.writeHead(204).end();
        return;
      default:
        return send(res, 405, { message: 'Method Not Allowed' });
    }
  }

  function react(id: string, body: string): void {
    const hook = endpoint.onPost;
    if (!hook) return;
    const reaction = Promise.resolve()
      .then(() => hook(id, body))
      .catch((error: unknown) => void reactionErrors.push(error))
      .finally(() => reactions.delete(reaction));
    reactions.add(reaction);
  }

  return endpoint;
}

function sendError(res: ServerResponse, status: number, body?: object): void {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'InternalServerErrorException' : 'BadRequestException');
  res.setHeader('x-amzn-ErrorType', type);
  if (body === undefined) {
    // As API Gateway answers a gone connection: the header says it all, the body is empty.
    res.writeHead(status, { 'content-length': '0' }).end();
  } else {
    send(res, status, body);
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
