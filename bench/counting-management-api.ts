import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A counting stand-in for API Gateway's `@connections` management API, for the bench's
 * 100,000-subscriber fan-out: sessions the bench stored directly in DynamoDB have no socket, so
 * posts to their connections are counted here and answered 200 as a live connection would.
 * Every other request (the publisher's own, real connection) is passed on unchanged to the
 * local gateway's management API.
 *
 *   handler --POST /{stage}/@connections/{id}--> counting API --counted(id)?--> 200, counted
 *                                                              \--otherwise--> gateway's callback URL
 *
 * The local runtime sends its functions here with its `managementEndpoint` option.
 */
export interface CountingManagementApi {
  /** `http://127.0.0.1:PORT`: the runtime's `managementEndpoint` (the stage path is kept). */
  readonly origin: string;
  /** Where requests for connections that are not counted go: the gateway's callback URL. Until then they get 503. */
  forwardTo(callbackUrl: string): void;
  counts(): CountingStats;
  close(): Promise<void>;
}

export interface CountingStats {
  /** Posts to counted connections, and to how many distinct ones. */
  posts: number;
  distinct: number;
  /** Counted connections posted more than once (a message sent twice shows here). */
  postedMoreThanOnce: number;
  /** Counted posts by the frame's `type` (`message`, ...). */
  byType: Record<string, number>;
  /** Epoch ms of the first and the last counted post. */
  firstPostAt?: number;
  lastPostAt?: number;
  /** Requests passed on to the gateway. */
  forwarded: number;
}

export interface CountingManagementApiOptions {
  /** Which connection ids are counted (no socket behind them); the rest are passed on. */
  counted: (connectionId: string) => boolean;
}

/** Starts it on 127.0.0.1 on a free port. */
export async function startCountingManagementApi(options: CountingManagementApiOptions): Promise<CountingManagementApi> {
  const perConnection = new Map<string, number>();
  const stats: CountingStats = { posts: 0, distinct: 0, postedMoreThanOnce: 0, byType: {}, forwarded: 0 };
  let upstream: URL | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  const count = (connectionId: string, body: Buffer) => {
    const before = perConnection.get(connectionId) ?? 0;
    perConnection.set(connectionId, before + 1);
    stats.posts += 1;
    if (before === 0) stats.distinct += 1;
    if (before === 1) stats.postedMoreThanOnce += 1;
    const type = frameType(body);
    stats.byType[type] = (stats.byType[type] ?? 0) + 1;
    const now = Date.now();
    stats.firstPostAt ??= now;
    stats.lastPostAt = now;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (!upstream) return answer(res, 503, JSON.stringify({ message: 'Service Unavailable' }));
    stats.forwarded += 1;
    const headers = { ...req.headers, host: upstream.host };
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    out.on('error', () => answer(res, 502, JSON.stringify({ message: 'Bad Gateway' })));
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const connectionId = connectionIdOf(req.url ?? '/');
      if (connectionId === undefined || !options.counted(connectionId)) return forward(req, res, body);
      if (req.method === 'POST') {
        count(connectionId, body);
        return answer(res, 200);
      }
      if (req.method === 'GET') {
        const at = new Date().toISOString();
        return answer(res, 200, JSON.stringify({ connectedAt: at, identity: { sourceIp: '127.0.0.1', userAgent: 'qosgate-bench' }, lastActiveAt: at }));
      }
      if (req.method === 'DELETE') return answer(res, 204);
      return answer(res, 404, JSON.stringify({ message: `No method found for ${req.method}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the counting management API has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    forwardTo: (callbackUrl) => {
      upstream = new URL(callbackUrl);
    },
    counts: () => ({ ...stats, byType: { ...stats.byType } }),
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The id of `/{stage}/@connections/{id}` (`@` and the id may be percent-encoded), or undefined for any other path. */
function connectionIdOf(url: string): string | undefined {
  const segments = (url.split('?')[0] ?? '').split('/').map(safeDecode);
  if (segments.length !== 4 || segments[2] !== '@connections' || !segments[3]) return undefined;
  return segments[3];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The frame's `type`, or `text` for a frame that is not a JSON object with one. */
function frameType(body: Buffer): string {
  try {
    const frame = JSON.parse(body.toString('utf8')) as { type?: unknown };
    return typeof frame.type === 'string' ? frame.type : 'text';
  } catch {
    return 'text';
  }
}

function answer(res: ServerResponse, status: number, body?: string): void {
  res.writeHead(status, body === undefined ? { 'content-length': '0' } : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
