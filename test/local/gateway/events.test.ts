import { afterEach, describe, expect, it } from 'vitest';
import { eventually, GatewayFixture, recording, routes } from './gateway-fixture.js';

// Event shapes as in "Input format of a Lambda function for proxy integration for WebSocket APIs":
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const API_GATEWAY_ID = /^[A-Za-z0-9_-]{15}=$/;
const REQUEST_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

describe('events sent to the integrations', () => {
  it('sends $connect a CONNECT event with headers, query string and requestContext', async () => {
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) }, { apiId: 'abc123' });
    const before = Date.now();
    await fixture.connect('?qos=1&controllers=monitor&controllers=sensor&QoS=2', { headers: { 'User-Agent': 'gateway-test/1.0', 'X-Custom': 'yes' } });

    const event = connect.events[0];
    expect(Object.keys(event).sort()).toEqual(['headers', 'isBase64Encoded', 'multiValueHeaders', 'multiValueQueryStringParameters', 'queryStringParameters', 'requestContext']);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.queryStringParameters).toEqual({ qos: '1', controllers: 'sensor', QoS: '2' });
    expect(event.multiValueQueryStringParameters).toEqual({ qos: ['1'], controllers: ['monitor', 'sensor'], QoS: ['2'] });
    expect(event.headers).toMatchObject({
      Host: `127.0.0.1:${fixture.gateway.port}`,
      'Sec-WebSocket-Version': '13',
      'X-Custom': 'yes',
      'User-Agent': 'gateway-test/1.0',
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Port': String(fixture.gateway.port),
      'X-Forwarded-Proto': 'http',
    });
    expect(event.headers['Sec-WebSocket-Key']).toMatch(/==$/);
    expect(event.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    // Hop-by-hop headers are not in the documented event.
    expect(Object.keys(event.headers).map((h) => h.toLowerCase())).not.toContain('upgrade');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['yes']);

    const rc = event.requestContext;
    expect(Object.keys(rc)).toEqual([
      'routeKey', 'eventType', 'extendedRequestId', 'requestTime', 'messageDirection', 'stage', 'connectedAt',
      'requestTimeEpoch', 'identity', 'requestId', 'domainName', 'connectionId', 'apiId',
    ]);
    expect(rc).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      messageDirection: 'IN',
      stage: 'test',
      identity: { sourceIp: '127.0.0.1', userAgent: 'gateway-test/1.0' },
      domainName: `127.0.0.1:${fixture.gateway.port}`,
      apiId: 'abc123',
    });
    expect(rc.connectionId).toMatch(API_GATEWAY_ID);
    expect(rc.requestId).toMatch(API_GATEWAY_ID);
    expect(rc.extendedRequestId).toBe(rc.requestId);
    expect(rc.requestTime).toMatch(REQUEST_TIME);
    expect(rc.connectedAt).toBeGreaterThanOrEqual(before);
    expect(rc.requestTimeEpoch).toBeGreaterThanOrEqual(rc.connectedAt);
  });

  it('leaves the query string maps out when the URL has none, as the documented event does', async () => {
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    await fixture.connect();
    await fixture.connect('?');
    for (const event of connect.events) {
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event).not.toHaveProperty('multiValueQueryStringParameters');
      expect(event.queryStringParameters ?? {}).toEqual({});
    }
  });

  it('omits identity.userAgent when the client sends no User-Agent', async () => {
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    await fixture.connect('', { headers: {} });
    expect(connect.events[0].requestContext.identity).toEqual({ sourceIp: '127.0.0.1' });
  });

  it('sends a route a MESSAGE event with the selected routeKey, a messageId and the body', async () => {
    const connect = recording('connect');
    const publish = recording('publish');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, publish }) });
    const client = await fixture.connect();
    const body = '{"action":"publish","topic":"temp","data":25.3}';
    client.ws.send(body);
    await eventually(() => publish.events.length === 1);

    const event = publish.events[0];
    expect(Object.keys(event).sort()).toEqual(['body', 'isBase64Encoded', 'requestContext']);
    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
    const rc = event.requestContext;
    expect(Object.keys(rc)).toEqual([
      'routeKey', 'messageId', 'eventType', 'extendedRequestId', 'requestTime', 'messageDirection', 'stage',
      'connectedAt', 'requestTimeEpoch', 'identity', 'requestId', 'domainName', 'connectionId', 'apiId',
    ]);
    expect(rc).toMatchObject({ routeKey: 'publish', eventType: 'MESSAGE', messageDirection: 'IN', stage: 'test', apiId: 'local' });
    expect(rc.messageId).toMatch(API_GATEWAY_ID);
    // Every event of a connection carries the same connection id and connectedAt.
    expect(rc.connectionId).toBe(connect.events[0].requestContext.connectionId);
    expect(rc.connectedAt).toBe(connect.events[0].requestContext.connectedAt);
    expect(rc.requestId).not.toBe(connect.events[0].requestContext.requestId);
  });

  it('sends $disconnect a DISCONNECT event with the close status and its fixed headers', async () => {
    const connect = recording('connect');
    const disconnect = recording('disconnect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect, $disconnect: disconnect }) });
    const client = await fixture.connect();
    client.ws.close(4001, 'bye now');
    await eventually(() => disconnect.events.length === 1);

    const event = disconnect.events[0];
    expect(Object.keys(event).sort()).toEqual(['headers', 'isBase64Encoded', 'multiValueHeaders', 'requestContext']);
    const host = `127.0.0.1:${fixture.gateway.port}`;
    expect(event.headers).toEqual({ Host: host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' });
    expect(event.multiValueHeaders).toEqual({ Host: [host], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] });
    const rc = event.requestContext;
    expect(Object.keys(rc)).toEqual([
      'routeKey', 'disconnectStatusCode', 'eventType', 'extendedRequestId', 'requestTime', 'messageDirection',
      'disconnectReason', 'stage', 'connectedAt', 'requestTimeEpoch', 'identity', 'requestId', 'domainName', 'connectionId', 'apiId',
    ]);
    expect(rc).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 4001, disconnectReason: 'bye now' });
    expect(rc.connectionId).toBe(connect.events[0].requestContext.connectionId);
  });

  it('gives handlers a Lambda-like context with the function name and the time left', async () => {
    let seen: { name: string; id: string; left: number } | undefined;
    const connect = recording('qosgate-connect', async (_event, context) => {
      seen = { name: context.functionName, id: context.awsRequestId, left: context.getRemainingTimeInMillis() };
      return { statusCode: 200 };
    }, 5000);
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    await fixture.connect();
    expect(seen?.name).toBe('qosgate-connect');
    expect(seen?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.left).toBeGreaterThan(4000);
    expect(seen?.left).toBeLessThanOrEqual(5000);
  });

  it('passes a malformed query string through without failing the connection', async () => {
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    const client = await fixture.connect('?qos=%E0%A4%A&clientId=dev%2D7&token=a+b&flag');
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(connect.events[0].queryStringParameters).toEqual({ qos: '%E0%A4%A', clientId: 'dev-7', token: 'a+b', flag: '' });
    expect(fixture.gateway.connectionCount()).toBe(1);
  });
});
