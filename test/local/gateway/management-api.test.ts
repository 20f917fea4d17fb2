import { request } from 'node:http';
import {
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, GatewayFixture, recording, routes } from './gateway-fixture.js';

// The @connections API with the real SDK client:
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

async function connected() {
  const connect = recording('connect');
  const disconnect = recording('disconnect');
  fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $disconnect: disconnect }) });
  const client = await fixture.connect();
  const id = connect.events[0].requestContext.connectionId as string;
  return { fixture, client, id, disconnect, sdk: fixture.management() };
}

describe('the @connections management API', () => {
  it('delivers a POST to the client as a text frame, byte-exact, in order', async () => {
    const { client, id, sdk } = await connected();
    const frame = '{"type":"message","data":"Grüße 日本 😀"}';
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: frame }));
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: new TextEncoder().encode('monitor|temp|25.3|1|m1') }));
    expect(await client.next()).toBe(frame);
    expect(await client.next()).toBe('monitor|temp|25.3|1|m1');
  });

  it('answers GET with the connection\'s times and identity', async () => {
    const { id, sdk } = await connected();
    const before = Date.now();
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'x' }));
    const info = await sdk.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(info.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt?.getTime() ?? Infinity);
    expect(info.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'gateway-test/1.0' });
  });

  it('closes the connection on DELETE (204), and the client sees 1000', async () => {
    const { client, id, sdk, disconnect } = await connected();
    const answer = await sdk.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect(answer.$metadata.httpStatusCode).toBe(204);
    await expect(client.closed).resolves.toMatchObject({ code: 1000 });
    await eventually(() => disconnect.events.length === 1);
    expect(fixture?.gateway.connectionCount()).toBe(0);
  });

  it('raises GoneException for an unknown connection, on every method', async () => {
    const { sdk } = await connected();
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: 'L0SM9cOFvHcCIhw=', Data: 'x' }),
      new GetConnectionCommand({ ConnectionId: 'L0SM9cOFvHcCIhw=' }),
      new DeleteConnectionCommand({ ConnectionId: 'L0SM9cOFvHcCIhw=' }),
    ]) {
      const error = await sdk.send(command as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as Error).name).toBe('GoneException');
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    }
  });

  it('raises GoneException for a connection that just closed', async () => {
    const { client, id, sdk, disconnect } = await connected();
    client.ws.close(1000);
    await eventually(() => disconnect.events.length === 1);
    const error = await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'late' })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('GoneException');
  });

  it('answers 410 with the error type in x-amzn-ErrorType and an empty body', async () => {
    const { fixture } = await connected();
    const answer = await new Promise<{ status: number; type: unknown; body: string }>((resolve, reject) => {
      request(`${fixture.gateway.callbackUrl}/%40connections/nope%3D`, { method: 'POST' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['x-amzn-errortype'], body }));
      })
        .on('error', reject)
        .end('x');
    });
    expect(answer).toEqual({ status: 410, type: 'GoneException', body: '' });
  });

  it('refuses a POST over 128 KB with 413 PayloadTooLargeException, and takes one of exactly 128 KB', async () => {
    const { client, id, sdk } = await connected();
    const error = await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'x'.repeat(128 * 1024 + 1) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect((error as Error).name).toBe('PayloadTooLargeException');
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'y'.repeat(128 * 1024) }));
    expect((await client.next()).length).toBe(128 * 1024);
    expect(client.messages).toHaveLength(1);
  });

  it('honours a smaller maxPostBytes', async () => {
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) }, { maxPostBytes: 10 });
    await fixture.connect();
    const id = connect.events[0].requestContext.connectionId as string;
    const sdk = fixture.management();
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: '0123456789' }));
    await expect(sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: '0123456789a' }))).rejects.toThrow(PayloadTooLargeException);
  });
});
