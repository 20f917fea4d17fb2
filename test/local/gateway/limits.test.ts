import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, GatewayFixture, recording, routes, sleep } from './gateway-fixture.js';

// Quotas: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
// Binary frames: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-routes-integrations.html

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

async function start(options: Parameters<typeof GatewayFixture.start>[1] = {}) {
  const connect = recording('connect');
  const fallback = recording('default');
  const disconnect = recording('disconnect');
  fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $default: fallback, $disconnect: disconnect }) }, options);
  return { fixture, connect, fallback, disconnect };
}

describe('limits', () => {
  it('takes a frame of exactly 32 KB and closes with 1009 on a larger one, before routing it', async () => {
    const { fixture, fallback, disconnect } = await start();
    const client = await fixture.connect();
    client.ws.send('a'.repeat(32 * 1024));
    await eventually(() => fallback.events.length === 1);
    client.ws.send('b'.repeat(32 * 1024 + 1));
    await expect(client.closed).resolves.toMatchObject({ code: 1009 });
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext.disconnectStatusCode).toBe(1009);
    expect(fallback.events).toHaveLength(1);
  });

  it('takes a 128 KB message in frames of 32 KB and closes with 1009 on a larger one', async () => {
    const { fixture, fallback, disconnect } = await start();
    const client = await fixture.connect();
    const chunk = 'c'.repeat(32 * 1024);
    for (let i = 0; i < 4; i += 1) client.ws.send(chunk, { fin: i === 3 });
    await eventually(() => fallback.events.length === 1);
    expect(fallback.events[0].body).toHaveLength(128 * 1024);

    for (let i = 0; i < 4; i += 1) client.ws.send(chunk, { fin: false });
    client.ws.send('d', { fin: true });
    await expect(client.closed).resolves.toMatchObject({ code: 1009 });
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext.disconnectStatusCode).toBe(1009);
    expect(fallback.events).toHaveLength(1);
  });

  it('honours smaller frame and message limits', async () => {
    const { fixture } = await start({ maxFrameBytes: 10, maxMessageBytes: 15 });
    const frame = await fixture.connect();
    frame.ws.send('01234567890');
    await expect(frame.closed).resolves.toMatchObject({ code: 1009 });
    const message = await fixture.connect();
    message.ws.send('0123456789', { fin: false });
    message.ws.send('0123456789', { fin: true });
    await expect(message.closed).resolves.toMatchObject({ code: 1009 });
  });

  it('closes with 1003 on a binary frame', async () => {
    const { fixture, fallback, disconnect } = await start();
    const client = await fixture.connect();
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await expect(client.closed).resolves.toMatchObject({ code: 1003 });
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext.disconnectStatusCode).toBe(1003);
    expect(fallback.events).toHaveLength(0);
    expect(fixture.framesIn).toHaveLength(0);
  });

  it('closes an idle connection with 1001 Going away', async () => {
    const { fixture, disconnect } = await start({ idleTimeoutMs: 150 });
    const client = await fixture.connect();
    const started = Date.now();
    await expect(client.closed).resolves.toEqual({ code: 1001, reason: 'Going away' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: 'Going away' });
  });

  it('counts frames in both directions as activity', async () => {
    const { fixture, connect } = await start({ idleTimeoutMs: 200 });
    const client = await fixture.connect();
    const id = connect.events[0].requestContext.connectionId as string;
    const sdk = fixture.management();
    const started = Date.now();
    for (let i = 0; i < 4; i += 1) {
      await sleep(100);
      if (i % 2 === 0) client.ws.send('{"action":"ping"}');
      else await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'pong' }));
    }
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    await client.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it('closes any connection after the maximum duration, active or not', async () => {
    const { fixture, disconnect } = await start({ maxConnectionMs: 250, idleTimeoutMs: 10_000 });
    const client = await fixture.connect();
    const started = Date.now();
    const ticker = setInterval(() => client.ws.readyState === client.ws.OPEN && client.ws.send('tick'), 40);
    try {
      await expect(client.closed).resolves.toEqual({ code: 1001, reason: 'Going away' });
    } finally {
      clearInterval(ticker);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(220);
    await eventually(() => disconnect.events.length === 1);
  });
});
