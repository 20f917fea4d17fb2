import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiGatewayConnectionGateway,
  apiGatewayClientFor,
  regionOfCallbackUrl,
} from '../../../lambdas/adapters/apigateway/api-gateway-connection-gateway.js';
import { startManagementEndpoint, type ManagementEndpoint } from '../../support/management-endpoint.js';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

let endpoint: ManagementEndpoint;
let client: ApiGatewayManagementApiClient;
let gateway: ApiGatewayConnectionGateway;

beforeAll(async () => {
  endpoint = await startManagementEndpoint();
  // The SDK retries 5xx and throttling (3 attempts by default); one attempt keeps failures exact.
  client = apiGatewayClientFor(endpoint.url, { region: 'eu-west-1', credentials: CREDENTIALS, maxAttempts: 1 });
  gateway = new ApiGatewayConnectionGateway(client);
});

afterEach(() => {
  endpoint.clear();
  endpoint.onPost = undefined;
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

/** API Gateway connection ids look like this one: base64, so often ending in `=`. */
const CONN = 'L0SM9cOFvHcCIhw=';

describe('ApiGatewayConnectionGateway with the real SDK client', () => {
  it('posts a frame to /{stage}/@connections/{id}, signed, and answers ok', async () => {
    await expect(gateway.post(CONN, '{"type":"pong"}')).resolves.toBe('ok');
    expect(endpoint.received(CONN)).toEqual(['{"type":"pong"}']);
    const [request] = endpoint.requests();
    expect(request).toMatchObject({ method: 'POST', connectionId: CONN });
    expect(String(request?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
  });

  it('posts the UTF-8 bytes of the frame, byte-exact', async () => {
    const frame = '{"type":"message","controller":"monitor","topic":"temp","data":"Grüße 日本 😀 | \\n","qos":0,"dup":false}';
    const text = 'monitor|temp|Grüße 😀|1|m1';
    await gateway.post(CONN, frame);
    await gateway.post(CONN, text);
    expect(endpoint.received(CONN)).toEqual([frame, text]);
    expect(Buffer.byteLength(endpoint.received(CONN)[0] ?? '')).toBe(Buffer.byteLength(frame));
  });

  it('keeps frames per connection and in order', async () => {
    for (let i = 0; i < 5; i += 1) await gateway.post(i % 2 ? 'b=' : 'a=', `f${i}`);
    expect(endpoint.received('a=')).toEqual(['f0', 'f2', 'f4']);
    expect(endpoint.received('b=')).toEqual(['f1', 'f3']);
    expect(endpoint.all().map((p) => p.body)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
  });

  it("answers 'gone' for a connection that is gone (410)", async () => {
    endpoint.markGone(CONN);
    await expect(gateway.post(CONN, 'x')).resolves.toBe('gone');
    expect(endpoint.received(CONN)).toEqual([]);
  });

  it('is answered GoneException by name by the raw SDK: the name the adapter relies on', async () => {
    endpoint.markGone(CONN);
    const error: unknown = await client.send(new PostToConnectionCommand({ ConnectionId: CONN, Data: new TextEncoder().encode('x') })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GoneException);
    expect((error as GoneException).name).toBe('GoneException');
    expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
  });

  it('isOpen asks GetConnection: true while the connection is open, false once it is gone (410)', async () => {
    await expect(gateway.isOpen(CONN)).resolves.toBe(true);
    endpoint.markGone(CONN);
    await expect(gateway.isOpen(CONN)).resolves.toBe(false);
    expect(endpoint.requests().map((r) => [r.method, r.connectionId])).toEqual([
      ['GET', CONN],
      ['GET', CONN],
    ]);
  });

  it('isOpen throws any other failure rather than guessing', async () => {
    endpoint.failNext(CONN, 429);
    await expect(gateway.isOpen(CONN)).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  it('throws any other failure: 500', async () => {
    endpoint.failNext(CONN, 500);
    await expect(gateway.post(CONN, 'x')).rejects.toMatchObject({ name: 'InternalServerErrorException', $metadata: { httpStatusCode: 500 } });
    // The injected failure was used up: the connection is fine again.
    await expect(gateway.post(CONN, 'y')).resolves.toBe('ok');
    expect(endpoint.received(CONN)).toEqual(['y']);
  });

  it.each([
    [403, 'ForbiddenException'],
    [429, 'LimitExceededException'],
  ])('throws %i as %s, not as gone', async (status, name) => {
    endpoint.failNext(CONN, status);
    await expect(gateway.post(CONN, 'x')).rejects.toMatchObject({ name });
  });

  it('throws PayloadTooLargeException for a post over 128 KB, as API Gateway does', async () => {
    await expect(gateway.post(CONN, 'x'.repeat(128 * 1024 + 1))).rejects.toMatchObject({ name: 'PayloadTooLargeException' });
    await expect(gateway.post(CONN, 'x'.repeat(128 * 1024))).resolves.toBe('ok');
  });

  it('a client with default retries rides out one 500', async () => {
    const retrying = apiGatewayClientFor(endpoint.url, { region: 'eu-west-1', credentials: CREDENTIALS });
    try {
      endpoint.failNext(CONN, 500);
      await expect(new ApiGatewayConnectionGateway(retrying).post(CONN, 'again')).resolves.toBe('ok');
      expect(endpoint.requests().map((r) => r.method)).toEqual(['POST', 'POST']);
      expect(endpoint.received(CONN)).toEqual(['again']);
    } finally {
      retrying.destroy();
    }
  });

  it('disconnects with DeleteConnection; the connection is gone afterwards', async () => {
    await expect(gateway.disconnect(CONN)).resolves.toBe('ok');
    expect(endpoint.deleted()).toEqual([CONN]);
    expect(endpoint.requests()).toMatchObject([{ method: 'DELETE', connectionId: CONN }]);
    await expect(gateway.post(CONN, 'x')).resolves.toBe('gone');
  });

  it('answers gone when disconnecting a connection already gone', async () => {
    endpoint.markGone(CONN);
    await expect(gateway.disconnect(CONN)).resolves.toBe('gone');
  });

  it('throws other disconnect failures', async () => {
    endpoint.failNext(CONN, 500);
    await expect(gateway.disconnect(CONN)).rejects.toMatchObject({ name: 'InternalServerErrorException' });
  });
});

describe('the management endpoint stand-in', () => {
  it('answers GetConnection like API Gateway, and 410 once gone', async () => {
    await gateway.post(CONN, 'x');
    const info = await client.send(new GetConnectionCommand({ ConnectionId: CONN }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'qosgate-test' });
    endpoint.markGone(CONN);
    await expect(client.send(new GetConnectionCommand({ ConnectionId: CONN }))).rejects.toBeInstanceOf(GoneException);
  });

  it('calls onPost after each accepted post, and idle() waits for the reactions', async () => {
    const seen: string[] = [];
    endpoint.onPost = async (id, body) => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`${id}:${body}`);
    };
    await gateway.post('a=', 'one');
    await gateway.post('b=', 'two');
    await endpoint.idle();
    expect(seen).toEqual(['a=:one', 'b=:two']);
  });

  it('lets an onPost reaction post again (an auto-ack client, say), and reports a failed reaction', async () => {
    endpoint.onPost = async (id, body) => {
      if (body === 'ping') await gateway.post(id, 'pong');
      if (body === 'boom') throw new Error('reaction failed');
    };
    await gateway.post(CONN, 'ping');
    await endpoint.idle();
    expect(endpoint.received(CONN)).toEqual(['ping', 'pong']);
    await gateway.post(CONN, 'boom');
    await expect(endpoint.idle()).rejects.toThrow('reaction failed');
  });

  it('answers 404 outside /{stage}/@connections/{id}', async () => {
    const response = await fetch(endpoint.url.replace('/test', '/prod') + '/@connections/x', { method: 'POST', body: 'x' });
    expect(response.status).toBe(404);
  });
});

describe('apiGatewayClientFor', () => {
  it('reads the region from an execute-api callback URL', () => {
    expect(regionOfCallbackUrl('https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod')).toBe('eu-west-1');
    expect(regionOfCallbackUrl('https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod')).toBe('cn-north-1');
    expect(regionOfCallbackUrl('https://ws.example.com/v1')).toBeUndefined();
    expect(regionOfCallbackUrl('http://127.0.0.1:3001/local')).toBeUndefined();
    expect(regionOfCallbackUrl('not a url')).toBeUndefined();
  });

  it('signs for the callback URL region, keeps the stage path as the endpoint', async () => {
    const built = apiGatewayClientFor('https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod', { credentials: CREDENTIALS });
    try {
      expect(await built.config.region()).toBe('ap-southeast-2');
      const resolved = await built.config.endpoint?.();
      expect(resolved).toMatchObject({ hostname: 'abc123.execute-api.ap-southeast-2.amazonaws.com', path: '/prod' });
    } finally {
      built.destroy();
    }
  });

  it('caches the middleware chain per command class: a middleware added before the first send sees every post, each with its own input', async () => {
    const built = apiGatewayClientFor(endpoint.url, { region: 'eu-west-1', credentials: CREDENTIALS, maxAttempts: 1 });
    const seen: string[] = [];
    // As the local IAM check and the bench's meter are added: on the client's stack, before it sends.
    built.middlewareStack.add(
      (next) => async (args) => {
        seen.push((args.input as { ConnectionId: string }).ConnectionId);
        return next(args);
      },
      { step: 'initialize', name: 'seeWhatIsSent' },
    );
    try {
      expect(built.config.cacheMiddleware).toBe(true);
      const cached = new ApiGatewayConnectionGateway(built);
      await Promise.all(['a=', 'b=', 'c='].map((id, i) => cached.post(id, `f${i}`)));
      await expect(cached.isOpen('a=')).resolves.toBe(true);
      await cached.post('a=', 'again');
      expect(seen).toEqual(['a=', 'b=', 'c=', 'a=', 'a=']);
      expect(endpoint.received('a=')).toEqual(['f0', 'again']);
      expect(endpoint.received('b=')).toEqual(['f1']);
      expect(endpoint.received('c=')).toEqual(['f2']);
    } finally {
      built.destroy();
    }
  });

  it('lets an explicit region win over the URL', async () => {
    const built = apiGatewayClientFor('https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod', { region: 'us-east-1', credentials: CREDENTIALS });
    try {
      expect(await built.config.region()).toBe('us-east-1');
    } finally {
      built.destroy();
    }
  });
});
