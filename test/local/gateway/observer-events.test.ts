import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloseDetail, ConnectDetail, GatewayObserver, HandshakeRefusal } from '../../../local/gateway/index.js';
import { eventually, GatewayFixture, recording, routes } from './gateway-fixture.js';

// What the gateway tells its observer about connections, so the runtime's log can say who was
// refused and why, and why a connection ended (1001 alone is idle, 2 h or shutdown).

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

interface Seen {
  connected: Array<[string, ConnectDetail | undefined]>;
  refused: HandshakeRefusal[];
  closed: Array<[string, number, CloseDetail | undefined]>;
}

function watching(): { seen: Seen; observer: GatewayObserver } {
  const seen: Seen = { connected: [], refused: [], closed: [] };
  return {
    seen,
    observer: {
      connected: (id, _identity, detail) => seen.connected.push([id, detail]),
      refused: (refusal) => seen.refused.push(refusal),
      disconnected: (id, info, detail) => seen.closed.push([id, info.statusCode, detail]),
    },
  };
}

describe('the gateway observer', () => {
  it('is told every refusal, with the status, the body the client got, who refused, and the query', async () => {
    const { seen, observer } = watching();
    const connect = recording('connect', async () => ({ statusCode: 400, body: 'unknown controller: nope' }));
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) }, { observer });
    await expect(fixture.refused('?controllers=nope&token=secret')).resolves.toEqual({ status: 400, body: 'unknown controller: nope' });
    await fixture.refused('/../other-stage').catch(() => undefined);
    await eventually(() => seen.refused.length === 2);
    expect(seen.refused[0]).toEqual({
      connectionId: connect.events[0].requestContext.connectionId,
      statusCode: 400,
      body: 'unknown controller: nope',
      by: '$connect',
      query: { controllers: 'nope', token: 'secret' },
    });
    expect(seen.refused[1]).toMatchObject({ statusCode: 403, by: 'gateway' });
    expect(seen.refused[1]).not.toHaveProperty('connectionId');
  });

  it('is told each connect with its query, and the cause of each close: client, 1009, 1003, idle, 2 h', async () => {
    const { seen, observer } = watching();
    fixture = await GatewayFixture.start({ routes: routes({ $connect: recording('connect'), $default: recording('default') }) }, { observer, maxFrameBytes: 10 });
    const byClient = await fixture.connect('?clientId=a');
    expect(seen.connected.at(-1)?.[1]).toEqual({ query: { clientId: 'a' } });
    byClient.ws.close(1000);
    const big = await fixture.connect('?clientId=b');
    big.ws.send('01234567890');
    const binary = await fixture.connect('?clientId=c');
    binary.ws.send(Buffer.from([1, 2, 3]));
    await eventually(() => seen.closed.length === 3);
    const causes = Object.fromEntries(seen.closed.map(([, code, detail]) => [detail?.query.clientId, [code, detail?.cause]]));
    expect(causes).toEqual({ a: [1000, 'client'], b: [1009, 'frameTooLarge'], c: [1003, 'binaryFrame'] });
    await fixture.stop();

    const idle = watching();
    fixture = await GatewayFixture.start({ routes: routes({ $connect: recording('connect') }) }, { observer: idle.observer, idleTimeoutMs: 50 });
    await fixture.connect('?clientId=d');
    await eventually(() => idle.seen.closed.length === 1);
    expect(idle.seen.closed[0]).toMatchObject([expect.any(String), 1001, { cause: 'idle', limitMs: 50, query: { clientId: 'd' } }]);
    await fixture.stop();

    const long = watching();
    fixture = await GatewayFixture.start({ routes: routes({ $connect: recording('connect') }) }, { observer: long.observer, maxConnectionMs: 50 });
    await fixture.connect('?clientId=e');
    await eventually(() => long.seen.closed.length === 1);
    expect(long.seen.closed[0]).toMatchObject([expect.any(String), 1001, { cause: 'maxDuration', limitMs: 50 }]);
  });

  it('a DELETE made by a running $connect (a takeover) names that connection and its query', async () => {
    const { seen, observer } = watching();
    let sdk: ApiGatewayManagementApiClient | undefined;
    let first: string | undefined;
    // The second $connect closes the first connection, as qosgate's takeover does.
    const connect = recording('connect', async (event) => {
      if (first === undefined) first = event.requestContext.connectionId;
      else await sdk!.send(new DeleteConnectionCommand({ ConnectionId: first }));
      return { statusCode: 200 };
    });
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) }, { observer });
    sdk = fixture.management();
    await fixture.connect('?clientId=dev-7&qos=1');
    await fixture.connect('?clientId=dev-7&qos=2');
    await eventually(() => seen.closed.length === 1);
    const second = connect.events[1].requestContext.connectionId;
    expect(seen.closed[0]).toEqual([first, 1000, { cause: 'deleted', query: { clientId: 'dev-7', qos: '1' }, deletedDuringConnectOf: [{ connectionId: second, query: { clientId: 'dev-7', qos: '2' } }] }]);
  });
});
