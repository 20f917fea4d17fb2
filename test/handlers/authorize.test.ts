import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoseTokenVerifier } from '../../lambdas/adapters/jose/jose-token-verifier.js';
import { createAuthorizeHandler, type AuthorizerEvent } from '../../lambdas/handlers/authorize.js';
import { createFunction } from '../../lambdas/entry/functions.js';
import { silentLogger } from '../../lambdas/ports/logger.js';
import { frameRouteHandlers, Harness } from '../support/harness.js';

const SECRET = 'unit-secret-0123456789-0123456789-0123456789';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:api/dev/$connect';
const hs256 = (claims: Record<string, unknown>, secret = SECRET, exp: string | number = '1h') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));
const event = (query: Record<string, string>, headers: Record<string, string> = {}): AuthorizerEvent => ({ type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: query, headers });

describe('the $connect authorizer (HS256)', () => {
  const authorize = createAuthorizeHandler({ verifier: JoseTokenVerifier.hs256(() => Promise.resolve(SECRET)), log: silentLogger });
  const claims = { clientId: 'dev-7', controllers: ['monitor', 'sensor'], actions: ['publish', 'subscribe'] };

  it('allows a good token from the query or the Bearer header, with the grants as string context', async () => {
    const token = await hs256(claims);
    for (const e of [event({ token, clientId: 'dev-7', controllers: 'monitor' }), event({ clientId: 'dev-7' }, { Authorization: `Bearer ${token}` })]) {
      const result = await authorize(e);
      expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }]);
      expect(result).toMatchObject({ principalId: 'dev-7', context: { clientId: 'dev-7', controllers: 'monitor,sensor', actions: 'publish,subscribe' } });
    }
  });

  it('401 (throws Unauthorized) without a token, with a bad, expired, unsigned or wrong-algorithm token', async () => {
    const none = await new SignJWT(claims).setProtectedHeader({ alg: 'none' } as never).setExpirationTime('1h').sign(new Uint8Array(32)).catch(() => 'eyJhbGciOiJub25lIn0.e30.');
    const noExp = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    for (const token of [undefined, 'garbage', await hs256(claims, `${SECRET}x`), await hs256(claims, SECRET, Math.floor(Date.now() / 1000) - 3600), none, noExp, await hs256({ clientId: 'x' })]) {
      await expect(authorize(event(token ? { token } : {}))).rejects.toThrow(/^Unauthorized$/);
    }
    // Both places, disagreeing.
    await expect(authorize(event({ token: await hs256(claims) }, { Authorization: 'Bearer other' }))).rejects.toThrow(/^Unauthorized$/);
  });

  it('403 (Deny, no context) for another clientId or a controller not granted', async () => {
    const token = await hs256({ ...claims, controllers: ['monitor'] });
    for (const query of [{ token, clientId: 'dev-8' }, { token, clientId: 'dev-7', controllers: 'monitor,sensor' }] as Array<Record<string, string>>) {
      const result = await authorize(event(query));
      expect(result.policyDocument.Statement[0]!.Effect).toBe('Deny');
      expect(result.context).toBeUndefined();
    }
  });

  it('allows a handshake with a bad parameter, which $connect then refuses with 400', async () => {
    const result = await authorize(event({ token: await hs256(claims), qos: '7' }));
    expect(result.policyDocument.Statement[0]!.Effect).toBe('Allow');
  });

  it('createFunction builds it from the environment, with the host key when no secret ARN or JWKS is set', async () => {
    const handler = createFunction('Authorizer', {}, { jwtSecret: SECRET, log: silentLogger });
    const result = (await handler(event({ token: await hs256(claims) }) as never)) as { policyDocument: { Statement: Array<{ Effect: string }> } };
    expect(result.policyDocument.Statement[0]!.Effect).toBe('Allow');
    expect(() => createFunction('Authorizer', { AWS_LAMBDA_FUNCTION_NAME: 'x' }, { log: silentLogger })).toThrow(/needs JWKS_URL or JWT_SECRET_ARN/);
  });
});

describe('the $connect authorizer (RS256 against a JWKS, as with Cognito)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test';
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('verifies the signature, issuer and audience', async () => {
    const authorize = createAuthorizeHandler({ verifier: JoseTokenVerifier.rs256(jwksUrl, { issuer, audience: 'app-client' }), log: silentLogger });
    const sign = (iss: string, aud: string) =>
      new SignJWT({ 'custom:controllers': 'monitor', 'custom:actions': 'subscribe' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('user-1').setIssuer(iss).setAudience(aud).setExpirationTime('1h').sign(privateKey);
    const ok = await authorize(event({ token: await sign(issuer, 'app-client'), clientId: 'user-1' }));
    expect(ok).toMatchObject({ principalId: 'user-1', context: { controllers: 'monitor', actions: 'subscribe' } });
    await expect(authorize(event({ token: await sign('https://evil.example', 'app-client') }))).rejects.toThrow(/^Unauthorized$/);
    await expect(authorize(event({ token: await sign(issuer, 'other-client') }))).rejects.toThrow(/^Unauthorized$/);
    await expect(authorize(event({ token: await hs256({ clientId: 'user-1', controllers: 'monitor', actions: 'subscribe' }) }))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('frames under the grants (DynamoDB Local)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('a publish or subscribe outside the grants is FORBIDDEN and changes nothing; allowed frames work', async () => {
    const authorizer = { clientId: 'mon-1', controllers: 'monitor', actions: 'subscribe', principalId: 'mon-1' };
    const monitor = await h.client({ controllers: 'monitor', qos: '1', clientId: 'mon-1' });
    const listener = await h.client({ controllers: 'monitor', qos: '1' });
    const routes = frameRouteHandlers(h.deps);
    const send = (routeKey: string, body: object | string) =>
      routes.get(routeKey)!({ requestContext: { routeKey, eventType: 'MESSAGE', connectionId: monitor, authorizer }, body: typeof body === 'string' ? body : JSON.stringify(body) });

    await send('publish', { action: 'publish', controller: 'sensor', topic: 'temp', data: 1, qos: 1, id: 'p-1' });
    await send('$default', 'sensor|temp|2');
    await send('publish', { action: 'publish', controller: 'monitor', topic: 'temp', data: 3, qos: 1, id: 'p-2' });
    await send('subscribe', { action: 'subscribe', controller: 'sensor', topic: 'temp', qos: 1 });
    expect(h.frames(monitor).map((f) => (f.type === 'error' ? `${f.code}:${f.action}` : f.type))).toEqual(['FORBIDDEN:publish', 'FORBIDDEN:publish', 'FORBIDDEN:publish', 'FORBIDDEN:subscribe']);
    // Nothing reached anybody, nothing was stored, no controller was opened.
    expect(h.messages(listener)).toEqual([]);
    expect(await h.pendingOf(listener)).toEqual([]);
    expect((await h.deps.stores.connections.get(monitor, h.clock.now()))!.controllers).toEqual(['monitor']);

    await send('subscribe', { action: 'subscribe', controller: 'monitor', topic: 'temp', qos: 1 });
    await send('ping', { action: 'ping' });
    expect(h.frames(monitor).slice(4).map((f) => f.type)).toEqual(['suback', 'pong']);
  });

  it('$connect re-checks the grants: another clientId is 403', async () => {
    const result = await h.connect({
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId: 'c-x=', authorizer: { clientId: 'a', controllers: 'monitor', actions: 'subscribe' } },
      queryStringParameters: { clientId: 'b' },
    });
    expect(result.statusCode).toBe(403);
  });
});
