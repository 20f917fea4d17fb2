import { request } from 'node:http';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, GatewayFixture, recording, routes, sleep } from './gateway-fixture.js';

// The $connect route: "Until execution of the integration associated with the $connect route is
// completed, the upgrade request is pending and the actual connection will not be established."
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

describe('the handshake and $connect', () => {
  it('answers the upgrade only after $connect returns', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const connect = recording('connect', async () => {
      await gate;
      return { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    let opened = false;
    const pending = fixture.connect().then((client) => {
      opened = true;
      return client;
    });
    await eventually(() => connect.events.length === 1);
    await sleep(50);
    expect(opened).toBe(false);
    expect(fixture.gateway.connectionCount()).toBe(0);
    release();
    await pending;
    expect(opened).toBe(true);
    expect(fixture.gateway.connectionCount()).toBe(1);
  });

  it('refuses the handshake with the status and body of a non-2xx $connect result', async () => {
    const connect = recording('connect', async () => ({ statusCode: 400, body: 'qos must be 0, 1 or 2' }));
    const disconnect = recording('disconnect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $disconnect: disconnect }) });
    await expect(fixture.refused('?qos=7')).resolves.toEqual({ status: 400, body: 'qos must be 0, 1 or 2' });
    const forbidden = recording('connect', async () => ({ statusCode: 403 }));
    await fixture.stop();
    fixture = await GatewayFixture.start({ routes: routes({ $connect: forbidden, $disconnect: disconnect }) });
    await expect(fixture.refused()).resolves.toMatchObject({ status: 403 });
    // A refused connection never existed: no $disconnect.
    await sleep(50);
    expect(disconnect.events).toHaveLength(0);
    expect(fixture.gateway.connectionCount()).toBe(0);
  });

  it('answers 500 when $connect throws', async () => {
    const connect = recording('connect', async () => {
      throw new Error('boom');
    });
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    await expect(fixture.refused()).resolves.toEqual({ status: 500, body: '{"message":"Internal server error"}' });
    expect(fixture.errors).toHaveLength(1);
  });

  it('answers 500 when $connect outlives its timeout', async () => {
    const connect = recording('connect', () => new Promise(() => undefined), 100);
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    const started = Date.now();
    await expect(fixture.refused()).resolves.toMatchObject({ status: 500 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers 500 when $connect outlives the integration timeout, even with a longer Lambda timeout', async () => {
    const connect = recording('connect', () => new Promise(() => undefined), 10_000);
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) }, { integrationTimeoutMs: 100 });
    await expect(fixture.refused()).resolves.toMatchObject({ status: 500 });
  });

  it('accepts a $connect that returns nothing, and every client when there is no $connect route', async () => {
    fixture = await GatewayFixture.start({ routes: routes({ $connect: recording('connect', async () => undefined) }) });
    await expect(fixture.connect()).resolves.toBeDefined();
    await fixture.stop();
    fixture = await GatewayFixture.start({ routes: routes({}) });
    await expect(fixture.connect()).resolves.toBeDefined();
    expect(fixture.gateway.connectionCount()).toBe(1);
  });

  it('answers 410 GoneException to a post while the connection is still in $connect', async () => {
    let outcome: unknown;
    let fixtureRef!: GatewayFixture;
    const connect = recording('connect', async (event) => {
      try {
        await fixtureRef.management().send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: 'too early' }));
        outcome = 'posted';
      } catch (error) {
        outcome = error;
      }
      return { statusCode: 200 };
    });
    fixture = fixtureRef = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    const client = await fixture.connect();
    expect((outcome as Error).name).toBe('GoneException');
    expect((outcome as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(410);
    await sleep(30);
    expect(client.messages).toEqual([]);
  });

  it('refuses any path other than the stage with 403, and accepts the stage with a trailing slash', async () => {
    fixture = await GatewayFixture.start({ routes: routes({}) });
    const base = `ws://127.0.0.1:${fixture.gateway.port}`;
    for (const path of ['/', '/other', '/test/more', '/testing']) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(base + path);
        ws.on('error', () => undefined);
        ws.once('open', () => reject(new Error(`${path} was accepted`)));
        ws.once('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
      });
      expect(status, path).toBe(403);
    }
    await expect(fixture.connect('/')).resolves.toBeDefined();
  });

  it('answers 403 to plain HTTP requests that are not for @connections', async () => {
    fixture = await GatewayFixture.start({ routes: routes({}) });
    const status = await new Promise<number>((resolve, reject) => {
      request(`${fixture?.gateway.callbackUrl}/whatever`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });

  it('agrees to a subprotocol only when $connect returns it in Sec-WebSocket-Protocol', async () => {
    const connect = recording('connect', async (event) => {
      const offered = String(event.headers['Sec-WebSocket-Protocol'] ?? '').split(',').map((p: string) => p.trim());
      return offered.includes('qosgate.v1') ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'qosgate.v1' } } : { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    const chosen = await fixture.connect('', { protocols: ['mqtt', 'qosgate.v1'] });
    expect(chosen.ws.protocol).toBe('qosgate.v1');
    // Nothing agreed: the 101 carries no Sec-WebSocket-Protocol, and a client that asked for one fails.
    await expect(fixture.connect('', { protocols: ['mqtt'] })).rejects.toThrow();
  });
});
