import { assertConcurrencyLimit } from './concurrency-limit.js';
import { ConnectionRegistry } from './connection-registry.js';
import { createGatewayHttpServer } from './http-server.js';
import { DEFAULT_LIMITS } from './limits.js';
import { handleManagementRequest } from './management-api.js';
import { safeObserver } from './observer.js';
import type { Gateway, GatewayOptions, GatewayRoutes, GatewayUrls } from './types.js';
import { WebSocketEndpoint } from './websocket-endpoint.js';

export type * from './types.js';
export { DEFAULT_LIMITS } from './limits.js';
export { assertConcurrencyLimit } from './concurrency-limit.js';

/**
 * Starts an emulator of an API Gateway WebSocket API on one port: the WebSocket endpoint at
 * `ws://HOST:PORT/STAGE` and the `@connections` management API at `http://HOST:PORT/STAGE`.
 *
 * `routesFor` is called once the port is known, with both URLs, because the handlers need the
 * callback URL before they are built. Until it returns, connections and posts get 503.
 *
 * Nothing it does can take the process down: every handler failure becomes a 500, an error
 * frame or a close, and is reported to `options.observer.error`.
 */
export async function startGateway(options: GatewayOptions, routesFor: (urls: GatewayUrls) => GatewayRoutes | Promise<GatewayRoutes>): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage;
  if (!/^[A-Za-z0-9_-]+$/.test(stage)) throw new Error(`stage must be 1+ of A-Za-z0-9_- (got "${stage}")`);
  const apiId = options.apiId ?? 'local';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const observer = safeObserver(options.observer);
  const maxFramesInFlightPerConnection = options.maxFramesInFlightPerConnection ?? DEFAULT_LIMITS.maxFramesInFlightPerConnection;
  const maxFramesInFlight = options.maxFramesInFlight ?? DEFAULT_LIMITS.maxFramesInFlight;
  assertConcurrencyLimit('maxFramesInFlightPerConnection', maxFramesInFlightPerConnection);
  assertConcurrencyLimit('maxFramesInFlight', maxFramesInFlight);

  const http = createGatewayHttpServer();
  const port = await http.listen(host, options.port);
  // A wildcard address is not one a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const authority = `${urlHost}:${port}`;
  const urls: GatewayUrls = { url: `ws://${authority}/${stage}`, callbackUrl: `http://${authority}/${stage}` };

  let routes: GatewayRoutes;
  try {
    routes = await routesFor(urls);
  } catch (error) {
    await http.close();
    throw error;
  }

  const registry = new ConnectionRegistry();
  const maxPostBytes = options.maxPostBytes ?? DEFAULT_LIMITS.maxPostBytes;
  const endpoint = new WebSocketEndpoint(
    {
      stage,
      apiId,
      executeApiArn: `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}`,
      lambdaArnPrefix: `arn:aws:lambda:${region}:${accountId}`,
      authority,
      port,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_LIMITS.idleTimeoutMs,
      maxConnectionMs: options.maxConnectionMs ?? DEFAULT_LIMITS.maxConnectionMs,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes,
      integrationTimeoutMs: options.integrationTimeoutMs ?? DEFAULT_LIMITS.integrationTimeoutMs,
      maxFramesInFlightPerConnection,
      maxFramesInFlight,
    },
    routes,
    registry,
    observer,
  );
  http.ready({
    request: async (req, res) =>
      (await handleManagementRequest(req, res, registry, { stage, maxPostBytes })) || ((await options.httpFallback?.(req, res)) ?? false),
    upgrade: (req, socket, head) => endpoint.handleUpgrade(req, socket, head),
    error: (error) => observer.error(error, { phase: 'http' }),
  });

  let closing: Promise<void> | undefined;
  return {
    ...urls,
    port,
    connectionCount: () => registry.acceptedCount(),
    close: () =>
      (closing ??= (async () => {
        // Connections first, while the management API still answers (a $disconnect handler may
        // post, and should get 410, not a refused TCP connection); then the server.
        await endpoint.shutdown();
        await http.close();
      })()),
  };
}
