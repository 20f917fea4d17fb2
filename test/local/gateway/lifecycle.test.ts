import { connect as tcpConnect, createConnection, type Socket } from 'node:net';
import { DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../../local/gateway/index.js';
import { eventually, GatewayFixture, recording, routes, sleep } from './gateway-fixture.js';

// "The $disconnect route is executed after the connection is closed. The connection can be closed
// by the server or by the client."
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html

let fixture: GatewayFixture | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await fixture?.stop();
  fixture = undefined;
});

async function start(options: Parameters<typeof GatewayFixture.start>[1] = {}) {
  const connect = recording('connect');
  const disconnect = recording('disconnect');
  const fallback = recording('default');
  fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $default: fallback, $disconnect: disconnect }) }, options);
  return { fixture, connect, disconnect, fallback };
}

/** Opens a WebSocket by hand (no client library), so the test can misbehave on the wire. */
async function rawWebSocket(port: number, path = '/test'): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  sockets.add(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'),
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(head.split('\r\n')[0]));
    };
    socket.on('data', onData);
  });
  return socket;
}

/** A masked client text frame header announcing `length` payload bytes (16-bit length form). */
function textFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(8);
  header[0] = 0x81;
  header[1] = 0x80 | 126;
  header.writeUInt16BE(length, 2);
  header.writeUInt32BE(0x01020304, 4);
  return header;
}

describe('$disconnect', () => {
  it('fires once, with the client\'s close code and reason, when the client closes', async () => {
    const { fixture, connect, disconnect } = await start();
    const client = await fixture.connect();
    client.ws.close(1000, 'done');
    await eventually(() => disconnect.events.length === 1);
    await sleep(50);
    expect(disconnect.events).toHaveLength(1);
    expect(disconnect.events[0].requestContext).toMatchObject({
      connectionId: connect.events[0].requestContext.connectionId,
      disconnectStatusCode: 1000,
      disconnectReason: 'done',
    });
  });

  it('reports 1005 when the client closes without a status', async () => {
    const { fixture, disconnect } = await start();
    const client = await fixture.connect();
    client.ws.close();
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext).toMatchObject({ disconnectStatusCode: 1005, disconnectReason: 'Client-side close frame status not set' });
  });

  it('fires once for a client that vanishes in the middle of a frame', async () => {
    const { fixture, disconnect, fallback } = await start();
    const socket = await rawWebSocket(fixture.gateway.port);
    await eventually(() => fixture.gateway.connectionCount() === 1);
    socket.write(Buffer.concat([textFrameHeader(1000), Buffer.alloc(10)]));
    await sleep(20);
    socket.destroy();
    await eventually(() => disconnect.events.length === 1);
    await sleep(50);
    expect(disconnect.events).toHaveLength(1);
    expect(disconnect.events[0].requestContext.disconnectStatusCode).toBe(1005);
    expect(fallback.events).toHaveLength(0);
    expect(fixture.gateway.connectionCount()).toBe(0);
  });

  it('fires once, with 1000, when a handler deletes the connection', async () => {
    const { fixture, connect, disconnect } = await start();
    const client = await fixture.connect();
    const id = connect.events[0].requestContext.connectionId as string;
    await fixture.management().send(new DeleteConnectionCommand({ ConnectionId: id }));
    await client.closed;
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext).toMatchObject({ disconnectStatusCode: 1000, disconnectReason: 'Connection Closed Normally' });
    // A second DELETE finds it gone.
    await expect(fixture.management().send(new DeleteConnectionCommand({ ConnectionId: id }))).rejects.toMatchObject({ name: 'GoneException' });
    await sleep(30);
    expect(disconnect.events).toHaveLength(1);
  });

  it('fires once for each limit that closes a connection', async () => {
    const { fixture, disconnect } = await start({ idleTimeoutMs: 300 });
    const big = await fixture.connect();
    const binary = await fixture.connect();
    const idle = await fixture.connect();
    big.ws.send('x'.repeat(40_000));
    binary.ws.send(Buffer.from('hi'), { binary: true });
    await Promise.all([big.closed, binary.closed, idle.closed]);
    await eventually(() => disconnect.events.length === 3);
    await sleep(50);
    const codes = disconnect.events.map((e) => e.requestContext.disconnectStatusCode).sort();
    expect(codes).toEqual([1001, 1003, 1009]);
    expect(new Set(disconnect.events.map((e) => e.requestContext.connectionId)).size).toBe(3);
  });

  it('fires once for every connection when the gateway closes, and close() waits for them', async () => {
    const connect = recording('connect');
    const disconnect = recording('disconnect', async () => {
      await sleep(50);
      return { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $disconnect: disconnect }) });
    const clients = await Promise.all([fixture.connect(), fixture.connect(), fixture.connect()]);
    await fixture.gateway.close();
    expect(disconnect.events).toHaveLength(3);
    expect(disconnect.events.every((e) => e.requestContext.disconnectStatusCode === 1001)).toBe(true);
    for (const client of clients) await expect(client.closed).resolves.toMatchObject({ code: 1001 });
    expect(fixture.gateway.connectionCount()).toBe(0);
  });

  it('runs $disconnect once the socket is closed, while a frame of it still runs (as in AWS); close() waits for both', async () => {
    let releaseFrame!: () => void;
    const frameHeld = new Promise<void>((resolve) => (releaseFrame = resolve));
    const order: string[] = [];
    const slow = recording('slow', async () => {
      await frameHeld;
      order.push('message');
      return { statusCode: 200 };
    }, 60_000);
    const disconnect = recording('disconnect', async () => {
      order.push('disconnect');
      return { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ slow, $disconnect: disconnect }) });
    const client = await fixture.connect();
    client.ws.send('{"action":"slow"}');
    await eventually(() => slow.events.length === 1);
    client.ws.close(1000);
    await eventually(() => order.length === 1);
    expect(order).toEqual(['disconnect']);
    const closing = fixture.gateway.close();
    releaseFrame();
    await closing;
    expect(order).toEqual(['disconnect', 'message']);
  });

  it('still runs a frame that was waiting for its slot when the socket closed: every frame received is handled', async () => {
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const order: string[] = [];
    const work = recording('work', async (event) => {
      const n = JSON.parse(event.body).n as number;
      if (n === 1) await firstHeld;
      order.push(`frame ${n}`);
      return { statusCode: 200 };
    }, 60_000);
    const disconnect = recording('disconnect', async () => {
      order.push('disconnect');
      return { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ work, $disconnect: disconnect }) }, { maxFramesInFlightPerConnection: 1 });
    const client = await fixture.connect();
    client.ws.send('{"action":"work","n":1}');
    client.ws.send('{"action":"work","n":2}');
    await eventually(() => fixture?.framesIn.length === 2 && work.events.length === 1);
    client.ws.close(1000);
    await eventually(() => order.length === 1);
    expect(order).toEqual(['disconnect']);
    releaseFirst();
    await eventually(() => order.length === 3);
    expect(order).toEqual(['disconnect', 'frame 1', 'frame 2']);
  });

  it('never takes the gateway down when $disconnect throws or hangs', async () => {
    const disconnect = recording('disconnect', async (event) => {
      if (event.requestContext.disconnectReason === 'hang') await new Promise(() => undefined);
      throw new Error('cleanup failed');
    }, 100);
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $disconnect: disconnect }) });
    const a = await fixture.connect();
    const b = await fixture.connect();
    a.ws.close(1000, 'throw');
    b.ws.close(1000, 'hang');
    await eventually(() => fixture?.errors.length === 2);
    const c = await fixture.connect();
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('does not fire for a connection that $connect refused', async () => {
    const disconnect = recording('disconnect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: recording('connect', async () => ({ statusCode: 401 })), $disconnect: disconnect }) });
    await fixture.refused();
    await sleep(50);
    expect(disconnect.events).toHaveLength(0);
  });

  it('fires for a connection $connect accepted whose client left during $connect', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const connect = recording('connect', async () => {
      await gate;
      return { statusCode: 200 };
    });
    const disconnect = recording('disconnect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $disconnect: disconnect }) });
    const socket = tcpConnect(fixture.gateway.port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write(['GET /test HTTP/1.1', 'Host: x', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'));
    await eventually(() => connect.events.length === 1);
    socket.destroy();
    await sleep(30);
    release();
    await eventually(() => disconnect.events.length === 1);
    expect(disconnect.events[0].requestContext.connectionId).toBe(connect.events[0].requestContext.connectionId);
    expect(fixture.gateway.connectionCount()).toBe(0);
  });
});

describe('robustness and close()', () => {
  it('answers a post to a connection that is closing or closed with GoneException, without crashing', async () => {
    let fixtureRef!: GatewayFixture;
    const outcomes: string[] = [];
    const disconnect = recording('disconnect', async (event) => {
      const error = await fixtureRef
        .management()
        .send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: 'bye' }))
        .catch((e: Error) => e);
      outcomes.push(error instanceof Error ? error.name : 'posted');
      return { statusCode: 200 };
    });
    fixture = fixtureRef = await GatewayFixture.start({ routes: routes({ $disconnect: disconnect }) });
    const client = await fixture.connect();
    client.ws.close(1000);
    await eventually(() => outcomes.length === 1);
    expect(outcomes).toEqual(['GoneException']);
  });

  it('survives garbage on the HTTP port', async () => {
    const { fixture } = await start();
    const socket = createConnection(fixture.gateway.port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await expect(fixture.connect()).resolves.toBeDefined();
  });

  it('close() leaves nothing listening, and can be called twice', async () => {
    const { fixture } = await start();
    await fixture.connect();
    const port = fixture.gateway.port;
    await Promise.all([fixture.gateway.close(), fixture.gateway.close()]);
    const refused = await new Promise<string>((resolve) => {
      const probe = createConnection(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve('connected');
      });
      probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('closes its server when routesFor fails', async () => {
    let port = 0;
    await expect(
      startGateway({ port: 0, stage: 'test' }, (urls) => {
        port = Number(new URL(urls.callbackUrl).port);
        throw new Error('template unreadable');
      }),
    ).rejects.toThrow('template unreadable');
    const result = await new Promise<string>((resolve) => {
      const probe = createConnection(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve('connected');
      });
      probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(result).toBe('ECONNREFUSED');
  });

  it('calls routesFor with both URLs once the port is known', async () => {
    let seen: { url: string; callbackUrl: string } | undefined;
    const gateway = await startGateway({ port: 0, stage: 'dev' }, (urls) => {
      seen = urls;
      return { selectionExpression: '$request.body.action', routes: new Map() };
    });
    try {
      expect(seen).toEqual({ url: `ws://127.0.0.1:${gateway.port}/dev`, callbackUrl: `http://127.0.0.1:${gateway.port}/dev` });
      expect(gateway.url).toBe(seen?.url);
      expect(gateway.callbackUrl).toBe(seen?.callbackUrl);
    } finally {
      await gateway.close();
    }
  });
});
