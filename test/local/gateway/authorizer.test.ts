import { afterEach, describe, expect, it } from 'vitest';
import type { LambdaLike } from '../../../local/gateway/index.js';
import { eventually, GatewayFixture, recording, routes, sleep } from './gateway-fixture.js';

// A $connect Lambda REQUEST authorizer:
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const policy = (effect: 'Allow' | 'Deny', resource: string, context?: Record<string, unknown>) => ({
  principalId: 'dev-7',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  ...(context ? { context } : {}),
});

/** An authorizer that lets in `token=good`, refuses `bad` with "Unauthorized" and denies the rest. */
const tokenAuthorizer: LambdaLike = async (event) => {
  const token = event.queryStringParameters?.token;
  if (token === 'bad') throw new Error('Unauthorized');
  return policy(token === 'good' ? 'Allow' : 'Deny', event.methodArn, { clientId: 'dev-7', level: 2, admin: false });
};

async function start(authorizer: LambdaLike, identitySource = ['route.request.querystring.token']) {
  const auth = recording('authorizer', authorizer);
  const connect = recording('connect');
  const publish = recording('publish');
  const disconnect = recording('disconnect');
  fixture = await GatewayFixture.start(
    { routes: routes({ $connect: connect, publish, $disconnect: disconnect }), authorizer: { fn: auth, identitySource } },
    { apiId: 'abc123', region: 'eu-west-1', accountId: '111122223333' },
  );
  return { fixture, auth, connect, publish, disconnect };
}

describe('the $connect authorizer', () => {
  it('refuses with 401, without calling the authorizer, when an identity source is missing or empty', async () => {
    const { fixture, auth, connect } = await start(tokenAuthorizer, ['route.request.querystring.token', 'route.request.header.X-Device']);
    await expect(fixture.refused('?token=good')).resolves.toEqual({ status: 401, body: '{"message":"Unauthorized"}' });
    await expect(fixture.refused('?token=', { headers: { 'X-Device': 'd1' } })).resolves.toMatchObject({ status: 401 });
    expect(auth.events).toHaveLength(0);
    expect(connect.events).toHaveLength(0);
    // Header names are matched regardless of case.
    await expect(fixture.connect('?token=good', { headers: { 'x-device': 'd1' } })).resolves.toBeDefined();
  });

  it('sends the authorizer a REQUEST event with the methodArn of $connect', async () => {
    const { fixture, auth } = await start(tokenAuthorizer);
    await fixture.connect('?token=good');
    const event = auth.events[0];
    expect(event).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:111122223333:abc123/test/$connect',
      queryStringParameters: { token: 'good' },
      multiValueQueryStringParameters: { token: ['good'] },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', stage: 'test', apiId: 'abc123' },
    });
    expect(event.headers).toMatchObject({ Upgrade: 'websocket', 'User-Agent': 'gateway-test/1.0' });
    expect(event.requestContext.connectionId).toMatch(/=$/);
  });

  it('refuses with 401 when the authorizer fails with "Unauthorized"', async () => {
    const { fixture, connect } = await start(tokenAuthorizer);
    await expect(fixture.refused('?token=bad')).resolves.toEqual({ status: 401, body: '{"message":"Unauthorized"}' });
    expect(connect.events).toHaveLength(0);
  });

  it('refuses with 403 when the policy denies, or does not allow, $connect', async () => {
    const { fixture, connect } = await start(tokenAuthorizer);
    await expect(fixture.refused('?token=other')).resolves.toEqual({ status: 403, body: '{"message":"Forbidden"}' });
    await fixture.stop();
    // A REST-style `stage/*/*` resource has one slash too many for `stage/$connect`: not allowed.
    const rest = await start(async (event) => policy('Allow', event.methodArn.replace('/$connect', '/*/*')));
    await expect(rest.fixture.refused('?token=any')).resolves.toMatchObject({ status: 403 });
    expect(connect.events).toHaveLength(0);
  });

  it('lets a wildcard Allow in, and a Deny win over an Allow', async () => {
    const wildcard = await start(async () => policy('Allow', 'arn:aws:execute-api:*:*:abc123/*'));
    await expect(wildcard.fixture.connect('?token=x')).resolves.toBeDefined();
    await wildcard.fixture.stop();
    const both = await start(async (event) => ({
      principalId: 'p',
      policyDocument: { Statement: [{ Action: 'execute-api:*', Effect: 'Allow', Resource: '*' }, { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }] },
    }));
    await expect(both.fixture.refused('?token=x')).resolves.toMatchObject({ status: 403 });
  });

  it('answers 500 when the authorizer throws anything else, times out or returns no policy', async () => {
    const throwing = await start(async () => {
      throw new Error('database down');
    });
    await expect(throwing.fixture.refused('?token=x')).resolves.toEqual({ status: 500, body: '{"message":"Internal server error"}' });
    await throwing.fixture.stop();
    const silent = await start(async () => ({ principalId: 'p' }));
    await expect(silent.fixture.refused('?token=x')).resolves.toMatchObject({ status: 500 });
    await silent.fixture.stop();
    const nested = await start(async (event) => policy('Allow', event.methodArn, { claims: { sub: 'x' } }));
    await expect(nested.fixture.refused('?token=x')).resolves.toMatchObject({ status: 500 });
    expect(nested.fixture.errors).toHaveLength(1);
  });

  it('passes an Allow\'s principalId and context (stringified) to $connect and every later event', async () => {
    const { fixture, connect, publish, disconnect } = await start(tokenAuthorizer);
    const client = await fixture.connect('?token=good');
    client.ws.send('{"action":"publish"}');
    await eventually(() => publish.events.length === 1);
    client.ws.close(1000);
    await eventually(() => disconnect.events.length === 1);
    for (const event of [connect.events[0], publish.events[0], disconnect.events[0]]) {
      expect(event.requestContext.authorizer).toMatchObject({ principalId: 'dev-7', clientId: 'dev-7', level: '2', admin: 'false' });
      expect(typeof event.requestContext.authorizer.integrationLatency).toBe('number');
    }
  });

  it('without an authorizer, events carry no requestContext.authorizer', async () => {
    const connect = recording('connect');
    fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
    await fixture.connect();
    await sleep(10);
    expect(connect.events[0].requestContext).not.toHaveProperty('authorizer');
  });
});
