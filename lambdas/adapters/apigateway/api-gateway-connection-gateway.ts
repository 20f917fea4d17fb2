import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
  type ApiGatewayManagementApiClientConfig,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway } from '../../ports/connection-gateway.js';

/**
 * The {@link ConnectionGateway} over API Gateway's `@connections` management API.
 * The client is injected (built once per container by the entry's wiring, or pointed at a
 * test endpoint), never constructed here.
 */
export class ApiGatewayConnectionGateway implements ConnectionGateway {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  /** PostToConnection; `'gone'` when the connection no longer exists (HTTP 410). */
  async post(connectionId: string, frame: string): Promise<'ok' | 'gone'> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: utf8.encode(frame) }));
      return 'ok';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  /** DeleteConnection (session takeover); `'gone'` when there is no open connection to close (HTTP 410). */
  async disconnect(connectionId: string): Promise<'ok' | 'gone'> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      return 'ok';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  /** GetConnection; `false` when the connection is gone or still in its $connect (HTTP 410). */
  async isOpen(connectionId: string): Promise<boolean> {
    try {
      await this.client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }
}

const utf8 = new TextEncoder();

/**
 * SDK v3 names the modeled error (`GoneException`, from the `x-amzn-ErrorType` header) and
 * that name is the contract; the HTTP status sits in `$metadata`, which retries and proxies
 * can make misleading, so it is never consulted.
 */
function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'GoneException';
}

/** Options for {@link apiGatewayClientFor}: any client setting except the endpoint. */
export type ApiGatewayClientOptions = Omit<ApiGatewayManagementApiClientConfig, 'endpoint'>;

/**
 * A management API client for a stage's callback URL,
 * `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` (or a custom domain with its
 * base path). The region is read from an execute-api host so the request is signed for the
 * API's own region even when the function runs elsewhere; otherwise (custom domain, local
 * endpoint) it is left to `opts.region` or the SDK's default chain (AWS_REGION in Lambda).
 * This module reads no environment: the caller passes what it has.
 */
export function apiGatewayClientFor(callbackUrl: string, opts: ApiGatewayClientOptions = {}): ApiGatewayManagementApiClient {
  const region = opts.region ?? regionOfCallbackUrl(callbackUrl);
  return new ApiGatewayManagementApiClient({
    // One PostToConnection per delivery is the hot path: by default the SDK rebuilds the whole
    // middleware chain on every send, about 15% of the client's CPU per post (bench "SDK floor").
    // Cached per command class; middleware added to the client's stack before its first send
    // (the local IAM check, the bench's meter) is in the cache. Not for lib-dynamodb's
    // DocumentClient, which refuses it.
    cacheMiddleware: true,
    ...opts,
    ...(region !== undefined ? { region } : {}),
    endpoint: callbackUrl,
  });
}

/** `https://abc123.execute-api.eu-west-1.amazonaws.com/prod` -> `eu-west-1` (also `.com.cn`). */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i;

/** The region of an execute-api callback URL, or undefined for any other URL. */
export function regionOfCallbackUrl(callbackUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(callbackUrl).hostname;
  } catch {
    return undefined;
  }
  return EXECUTE_API_HOST.exec(host)?.[1]?.toLowerCase();
}
