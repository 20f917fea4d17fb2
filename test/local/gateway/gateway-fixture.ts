import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { WebSocket, type ClientOptions } from 'ws';
import { startGateway, type Gateway, type GatewayFunction, type GatewayOptions, type GatewayRoutes, type LambdaLike } from '../../../local/gateway/index.js';

/**
 * Test support for the gateway emulator: a gateway with plain fake handlers that record their
 * events, real `ws` clients, and the real management API client. Everything started through a
 * {@link GatewayFixture} is stopped by `stop()`.
 */

/** A handler that records every event it gets, then runs `impl` (default: `{ statusCode: 200 }`). */
export interface RecordingFunction extends GatewayFunction {
  /** `any`: tests read event fields freely, as handlers do. */
  events: any[];
}

export function recording(name: string, impl?: LambdaLike, timeoutMs = 2000): RecordingFunction {
  const events: unknown[] = [];
  return {
    name,
    timeoutMs,
    events,
    handler: async (event, context) => {
      events.push(event);
      return impl ? impl(event, context) : { statusCode: 200 };
    },
  };
}

/** A connected client with everything it received. */
export interface TestClient {
  ws: WebSocket;
  /** Text frames received, in order. */
  messages: string[];
  /** Resolves with the next frame not yet returned by an earlier call. */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves when the client's socket is closed, with the close frame's code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

export interface Refusal {
  status: number;
  body: string;
}

export class GatewayFixture {
  private readonly clients = new Set<WebSocket>();
  private readonly sdkClients = new Set<ApiGatewayManagementApiClient>();
  readonly errors: unknown[] = [];
  readonly framesIn: Array<[string, string]> = [];
  readonly framesOut: Array<[string, string]> = [];
  readonly disconnected: Array<[string, number, string]> = [];

  private constructor(readonly gateway: Gateway) {}

  /** Starts a gateway on a free port of 127.0.0.1 with stage `test` and the given routes. */
  static async start(routes: Partial<GatewayRoutes> & { routes: Map<string, GatewayFunction> }, options: Partial<GatewayOptions> = {}): Promise<GatewayFixture> {
    let fixture: GatewayFixture | undefined;
    const gateway = await startGateway(
      {
        port: 0,
        stage: 'test',
        ...options,
        observer: {
          frameIn: (id, data) => fixture?.framesIn.push([id, data]),
          frameOut: (id, data) => fixture?.framesOut.push([id, data]),
          disconnected: (id, info) => fixture?.disconnected.push([id, info.statusCode, info.reason]),
          error: (error) => fixture?.errors.push(error),
          ...options.observer,
        },
      },
      () => ({ selectionExpression: '$request.body.action', ...routes }),
    );
    fixture = new GatewayFixture(gateway);
    return fixture;
  }

  /** Connects a `ws` client to the stage URL plus `suffix` (e.g. a query string). */
  async connect(suffix = '', options: ClientOptions & { protocols?: string[] } = {}): Promise<TestClient> {
    const { protocols, ...rest } = options;
    const ws = new WebSocket(this.gateway.url + suffix, protocols, { headers: { 'User-Agent': 'gateway-test/1.0' }, ...rest });
    this.clients.add(ws);
    const messages: string[] = [];
    const waiting: Array<(data: string) => void> = [];
    let read = 0;
    ws.on('message', (data) => {
      const text = (data as Buffer).toString('utf8');
      messages.push(text);
      waiting.shift()?.(text);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return {
      ws,
      messages,
      closed,
      next: (timeoutMs = 2000) => {
        if (read < messages.length) return Promise.resolve(messages[read++] ?? '');
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no frame arrived')), timeoutMs);
          waiting.push((text) => {
            clearTimeout(timer);
            read += 1;
            resolve(text);
          });
        });
      },
    };
  }

  /** Tries to connect and expects the handshake to be refused; the HTTP status and body. */
  async refused(suffix = '', options: ClientOptions = {}): Promise<Refusal> {
    const ws = new WebSocket(this.gateway.url + suffix, { headers: { 'User-Agent': 'gateway-test/1.0' }, ...options });
    this.clients.add(ws);
    ws.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('the handshake was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
    });
  }

  /** The real management API client, pointed at the callback URL (signed with fake keys, no retries). */
  management(): ApiGatewayManagementApiClient {
    const client = new ApiGatewayManagementApiClient({
      endpoint: this.gateway.callbackUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    this.sdkClients.add(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    for (const client of this.sdkClients) client.destroy();
    await this.gateway.close();
  }
}

/** Waits until `check` holds (polling), or fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Routes from a plain object. */
export function routes(table: Record<string, GatewayFunction>): Map<string, GatewayFunction> {
  return new Map(Object.entries(table));
}
