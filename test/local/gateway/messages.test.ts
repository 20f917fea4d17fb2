import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, GatewayFixture, recording, routes, sleep } from './gateway-fixture.js';

// Routing: https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
// Error frames as API Gateway writes them (see local/gateway/responses.ts).

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const ERROR_FRAME = /^\{"message": "(Forbidden|Internal server error)", "connectionId":"([A-Za-z0-9_-]{15}=)", "requestId":"([A-Za-z0-9_-]{15}=)"\}$/;

describe('messages', () => {
  it('routes by the selection expression, and everything else to $default', async () => {
    const publish = recording('publish');
    const fallback = recording('default');
    fixture = await GatewayFixture.start({ routes: routes({ publish, $default: fallback }) });
    const client = await fixture.connect();
    const frames = ['{"action":"publish"}', 'sensor|temp|25.3', '{"topic":"temp"}', '{"action":"nope"}', '{"action":null}', '[1,2]', '{"action":"$connect"}'];
    for (const frame of frames) client.ws.send(frame);
    await eventually(() => publish.events.length + fallback.events.length === frames.length);
    expect(publish.events.map((e) => e.body)).toEqual(['{"action":"publish"}']);
    expect(fallback.events.map((e) => e.body)).toEqual(frames.slice(1));
    expect(fallback.events.every((e) => e.requestContext.routeKey === '$default')).toBe(true);
  });

  it('evaluates nested paths and stringifies selected values', async () => {
    const join = recording('join');
    const five = recording('five');
    fixture = await GatewayFixture.start({ selectionExpression: '$request.body.meta.op', routes: routes({ join, '5': five }) });
    const client = await fixture.connect();
    client.ws.send('{"meta":{"op":"join"}}');
    client.ws.send('{"meta":{"op":5}}');
    await eventually(() => join.events.length === 1 && five.events.length === 1);
    expect(five.events[0].requestContext.routeKey).toBe('5');
  });

  it('sends the Forbidden error frame when nothing matches and there is no $default', async () => {
    const publish = recording('publish');
    fixture = await GatewayFixture.start({ routes: routes({ publish }) });
    const client = await fixture.connect();
    client.ws.send('{"action":"unknown"}');
    const frame = await client.next();
    const match = ERROR_FRAME.exec(frame);
    expect(match?.[1]).toBe('Forbidden');
    expect(publish.events).toHaveLength(0);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('sends the Internal server error frame when a route throws, with its connection and request ids', async () => {
    const connect = recording('connect');
    const publish = recording('publish', async () => {
      throw new Error('handler bug');
    });
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, publish }) });
    const client = await fixture.connect();
    client.ws.send('{"action":"publish"}');
    const match = ERROR_FRAME.exec(await client.next());
    expect(match?.[1]).toBe('Internal server error');
    expect(match?.[2]).toBe(connect.events[0].requestContext.connectionId);
    expect(match?.[3]).toBe(publish.events[0].requestContext.requestId);
    expect((fixture.errors[0] as Error).message).toBe('handler bug');
    // The connection survives.
    client.ws.send('{"action":"publish"}');
    expect(ERROR_FRAME.test(await client.next())).toBe(true);
  });

  it('sends the Internal server error frame when a route times out, then goes on with the next message', async () => {
    let calls = 0;
    const publish = recording('publish', async () => {
      calls += 1;
      if (calls === 1) await new Promise(() => undefined);
      return { statusCode: 200 };
    }, 100);
    fixture = await GatewayFixture.start({ routes: routes({ publish }) });
    const client = await fixture.connect();
    client.ws.send('{"action":"publish","n":1}');
    client.ws.send('{"action":"publish","n":2}');
    expect(ERROR_FRAME.exec(await client.next())?.[1]).toBe('Internal server error');
    await eventually(() => publish.events.length === 2);
    await sleep(30);
    expect(client.messages).toHaveLength(1);
  });

  it('does not send a route\'s return value to the client; only posts reach it', async () => {
    let fixtureRef!: GatewayFixture;
    const echo = recording('echo', async (event) => {
      await fixtureRef.management().send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: `echo:${event.body}` }));
      return { statusCode: 200, body: 'route response that nobody gets' };
    });
    fixture = fixtureRef = await GatewayFixture.start({ routes: routes({ $default: echo }) });
    const client = await fixture.connect();
    client.ws.send('hello');
    expect(await client.next()).toBe('echo:hello');
    await sleep(50);
    expect(client.messages).toEqual(['echo:hello']);
  });

  it('runs one connection\'s frames concurrently: two are in their handlers at once', async () => {
    // Each frame's handler waits until the other one is in its handler too: handled one at a
    // time, the first would wait for ever (the test times out).
    let inHandlers = 0;
    let bothIn!: () => void;
    const together = new Promise<void>((resolve) => (bothIn = resolve));
    const finished: number[] = [];
    const work = recording('work', async (event) => {
      inHandlers += 1;
      if (inHandlers === 2) bothIn();
      await together;
      finished.push(JSON.parse(event.body).n as number);
      return { statusCode: 200 };
    }, 60_000);
    fixture = await GatewayFixture.start({ routes: routes({ work }) });
    const client = await fixture.connect();
    client.ws.send('{"action":"work","n":1}');
    client.ws.send('{"action":"work","n":2}');
    await together;
    await eventually(() => finished.length === 2);
    expect(finished.sort()).toEqual([1, 2]);
    expect(fixture.errors).toEqual([]);
  });

  it('bounds a connection\'s frames in flight; the next ones start in arrival order as slots free', async () => {
    const entered: number[] = [];
    const releases = new Map<number, () => void>();
    const work = recording('work', async (event) => {
      const n = JSON.parse(event.body).n as number;
      entered.push(n);
      await new Promise<void>((resolve) => releases.set(n, resolve));
      return { statusCode: 200 };
    }, 60_000);
    fixture = await GatewayFixture.start({ routes: routes({ work }) }, { maxFramesInFlightPerConnection: 2 });
    const client = await fixture.connect();
    for (let n = 1; n <= 4; n += 1) client.ws.send(JSON.stringify({ action: 'work', n }));
    // A frame is dispatched in the same turn it arrives (the observer sees it first): once all
    // four are in, whatever could start has started.
    await eventually(() => fixture?.framesIn.length === 4 && entered.length === 2);
    expect(entered).toEqual([1, 2]);
    releases.get(2)?.();
    await eventually(() => entered.length === 3);
    expect(entered).toEqual([1, 2, 3]);
    releases.get(1)?.();
    await eventually(() => entered.length === 4);
    for (const release of releases.values()) release();
    expect(entered).toEqual([1, 2, 3, 4]);
  });

  it('stamps a frame that waited for a slot with when it arrived (requestTimeEpoch), as API Gateway does', async () => {
    const stamps = new Map<number, number>();
    let release!: () => void;
    const work = recording('work', async (event) => {
      const n = JSON.parse(event.body).n as number;
      stamps.set(n, event.requestContext.requestTimeEpoch as number);
      if (n === 1) await new Promise<void>((resolve) => (release = resolve));
      return { statusCode: 200 };
    }, 60_000);
    fixture = await GatewayFixture.start({ routes: routes({ work }) }, { maxFramesInFlightPerConnection: 1 });
    const client = await fixture.connect();
    client.ws.send(JSON.stringify({ action: 'work', n: 1 }));
    client.ws.send(JSON.stringify({ action: 'work', n: 2 }));
    await eventually(() => fixture?.framesIn.length === 2 && stamps.size === 1);
    // Frame 2 arrived and waits behind frame 1; it is let in a moment later.
    await sleep(20);
    const releasedAt = Date.now();
    release();
    await eventually(() => stamps.size === 2);
    expect(stamps.get(2)).toBeLessThan(releasedAt);
  });

  it('bounds the frames of all connections in flight together', async () => {
    const entered: string[] = [];
    const releases: Array<() => void> = [];
    const work = recording('work', async (event) => {
      entered.push(JSON.parse(event.body).from as string);
      await new Promise<void>((resolve) => releases.push(resolve));
      return { statusCode: 200 };
    }, 60_000);
    fixture = await GatewayFixture.start({ routes: routes({ work }) }, { maxFramesInFlight: 3 });
    const [a, b] = await Promise.all([fixture.connect(), fixture.connect()]);
    for (const [client, from] of [[a, 'a'], [b, 'b'], [a, 'a'], [b, 'b']] as const) client.ws.send(JSON.stringify({ action: 'work', from }));
    await eventually(() => fixture?.framesIn.length === 4 && entered.length === 3);
    expect(entered).toHaveLength(3);
    releases[0]?.();
    await eventually(() => entered.length === 4);
    for (const release of releases) release();
    expect(entered.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('refuses a bound that is not a whole number >= 1 before it listens', async () => {
    await expect(GatewayFixture.start({ routes: routes({}) }, { maxFramesInFlightPerConnection: 0 })).rejects.toThrow(/maxFramesInFlightPerConnection must be a whole number >= 1/);
    await expect(GatewayFixture.start({ routes: routes({}) }, { maxFramesInFlight: 2.5 })).rejects.toThrow(/maxFramesInFlight must be a whole number >= 1/);
  });

  it('handles different connections concurrently', async () => {
    let running = 0;
    let overlap = 0;
    const work = recording('work', async () => {
      running += 1;
      overlap = Math.max(overlap, running);
      await sleep(50);
      running -= 1;
      return { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ work }) });
    const [a, b] = await Promise.all([fixture.connect(), fixture.connect()]);
    a.ws.send('{"action":"work"}');
    b.ws.send('{"action":"work"}');
    await eventually(() => work.events.length === 2 && running === 0);
    expect(overlap).toBe(2);
  });

  it('reports every text frame in and every frame out to the observer', async () => {
    let fixtureRef!: GatewayFixture;
    const echo = recording('echo', async (event) => {
      await fixtureRef.management().send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: 'pong' }));
      return { statusCode: 200 };
    });
    fixture = fixtureRef = await GatewayFixture.start({ routes: routes({ ping: echo }) });
    const client = await fixture.connect();
    client.ws.send('{"action":"ping"}');
    client.ws.send('{"action":"nothing"}');
    await client.next();
    await client.next();
    const id = echo.events[0].requestContext.connectionId;
    expect(fixture.framesIn).toEqual([[id, '{"action":"ping"}'], [id, '{"action":"nothing"}']]);
    // The two frames are handled concurrently: their answers may come in either order.
    const out = fixture.framesOut.map(([to, data]) => [to, data.includes('"Forbidden"') ? 'Forbidden' : data]);
    expect(out.sort()).toEqual([[id, 'Forbidden'], [id, 'pong']]);
  });

  it('keeps going when an observer hook throws, and reports it as an error', async () => {
    const publish = recording('publish');
    fixture = await GatewayFixture.start(
      { routes: routes({ publish }) },
      {
        observer: {
          frameIn: () => {
            throw new Error('logger broke');
          },
        },
      },
    );
    const client = await fixture.connect();
    client.ws.send('{"action":"publish"}');
    await eventually(() => publish.events.length === 1);
    expect(fixture.errors.map((e) => (e as Error).message)).toContain('logger broke');
  });
});
