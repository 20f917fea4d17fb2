import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lambdas/ports/logger.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * PROTOCOL §1 token and §3 FORBIDDEN, end to end: the local runtime synthesized with
 * `qosgate:authRequired`, so its gateway runs the template's $connect authorizer (the same
 * Authorizer function a deployment runs), with the HS256 key from the host (QOSGATE_JWT_SECRET).
 */
const SECRET = 'e2e-secret-0123456789-0123456789-0123456789';

async function tokenFor(claims: { clientId: string; controllers: string[]; actions: string[] }, secret = SECRET, expiresIn = '1h'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.clientId).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

describe('auth on the local runtime', () => {
  let runtime: LocalRuntime;
  const clients: TestClient[] = [];
  const connect = async (query: Record<string, string>, headers: Record<string, string> = {}): Promise<TestClient> => {
    const client = await TestClient.connect(runtime.url, query, headers);
    clients.push(client);
    return client;
  };
  const refusal = (query: Record<string, string>, headers: Record<string, string> = {}) =>
    connect(query, headers).then(
      () => 'accepted',
      (error: { statusCode?: number }) => error.statusCode,
    );

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true, dashboard: false, log: silentLogger, context: { 'qosgate:authRequired': true }, overrides: { jwtSecret: SECRET } });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await runtime?.stop();
  }, 60_000);

  it('the template has the authorizer, and the runtime runs it', () => {
    expect(runtime.model.authorizer).toMatchObject({ functionId: 'Authorizer', type: 'REQUEST' });
    // No Secrets Manager locally: the secret's ARN is left out of the authorizer's environment.
    expect(runtime.environments.Authorizer).not.toHaveProperty('JWT_SECRET_ARN');
  });

  it('no token, a bad signature or an expired token: 401', async () => {
    expect(await refusal({ controllers: 'monitor', clientId: 'dev-1' })).toBe(401);
    const forged = await tokenFor({ clientId: 'dev-1', controllers: ['monitor'], actions: ['subscribe'] }, 'another-secret-0123456789-0123456789-01');
    expect(await refusal({ controllers: 'monitor', clientId: 'dev-1', token: forged })).toBe(401);
    const expired = await tokenFor({ clientId: 'dev-1', controllers: ['monitor'], actions: ['subscribe'] }, SECRET, '-2m');
    expect(await refusal({ controllers: 'monitor', clientId: 'dev-1', token: expired })).toBe(401);
    expect(await refusal({ controllers: 'monitor', clientId: 'dev-1', token: 'not-a-jwt' })).toBe(401);
  });

  it("a token for another clientId: 403 (nobody takes over another client's session)", async () => {
    const token = await tokenFor({ clientId: 'dev-1', controllers: ['monitor'], actions: ['subscribe'] });
    expect(await refusal({ controllers: 'monitor', clientId: 'dev-2', session: 'persistent', token })).toBe(403);
  });

  it('a controller the token does not list: 403', async () => {
    const token = await tokenFor({ clientId: 'mon-1', controllers: ['monitor'], actions: ['publish', 'subscribe'] });
    expect(await refusal({ controllers: 'sensor', clientId: 'mon-1', token })).toBe(403);
  });

  it('a good token connects and works, in the query and as a Bearer header; a publish it may not make is FORBIDDEN and changes nothing', async () => {
    const monitorToken = await tokenFor({ clientId: 'mon-2', controllers: ['monitor'], actions: ['subscribe', 'publish'] });
    const monitor = await connect({ controllers: 'monitor', clientId: 'mon-2', qos: '1', token: monitorToken });
    const sensorToken = await tokenFor({ clientId: 'sen-2', controllers: ['sensor'], actions: ['publish'] });
    const sensor = await connect({ controllers: 'sensor', clientId: 'sen-2', qos: '1' }, { Authorization: `Bearer ${sensorToken}` });

    // The monitor-only client publishes to sensor: FORBIDDEN, and no reading reaches anyone.
    monitor.send({ action: 'publish', controller: 'sensor', topic: 'temp', data: 99, qos: 1, id: 'x-1' });
    monitor.send('sensor|temp|98');
    await monitor.waitFor((c) => c.json().filter((f) => f.type === 'error').length === 2, 10_000, 'two FORBIDDEN errors');
    // The two frames run concurrently (as API Gateway invokes them), so their answers come in either order.
    const errors = monitor.json().filter((f) => f.type === 'error');
    expect(errors).toHaveLength(2);
    expect(errors.every((f) => f.code === 'FORBIDDEN' && f.action === 'publish')).toBe(true);
    expect(errors.filter((f) => f.id === 'x-1')).toHaveLength(1);
    // The sensor may not subscribe (its token lists publish only).
    sensor.send({ action: 'subscribe', controller: 'sensor', topic: 'temp' });
    await sensor.waitFor((c) => c.json().find((f) => f.type === 'error'), 10_000, 'FORBIDDEN');
    expect(sensor.json().find((f) => f.type === 'error')).toMatchObject({ code: 'FORBIDDEN', action: 'subscribe' });

    // The allowed path works end to end.
    sensor.send({ action: 'publish', controller: 'sensor', topic: 'temp', data: 21.5, qos: 1, id: 's-1' });
    const message = await monitor.waitFor((c) => c.messages()[0], 10_000, 'the reading');
    expect(message).toMatchObject({ controller: 'monitor', topic: 'temp', data: 21.5, qos: 1 });
    expect(monitor.messages().map((m) => m.data)).toEqual([21.5]);
    await sensor.waitFor((c) => c.json().find((f) => f.type === 'msgack'), 10_000, 'msgack');
  });
  it('a will on a controller the token does not grant is FORBIDDEN (frame) or 403 (handshake), and the granted will stays; $presence needs its subscribe right', async () => {
    const deviceToken = await tokenFor({ clientId: 'dev-w', controllers: ['monitor'], actions: ['publish', 'subscribe'] });
    expect(await refusal({ clientId: 'dev-w', token: deviceToken, willController: 'sensor', willTopic: 'temp', willData: '0' })).toBe(403);

    const watcherToken = await tokenFor({ clientId: 'watch-w', controllers: ['monitor', '$presence'], actions: ['subscribe'] });
    const watcher = await connect({ clientId: 'watch-w', token: watcherToken });
    watcher.send({ action: 'subscribe', controller: 'monitor', topic: 'status/dev-w' });
    watcher.send({ action: 'subscribe', controller: '$presence', topic: 'dev-w' });
    await watcher.waitFor((c) => c.json().filter((f) => f.type === 'suback').length === 2, 10_000, 'two subacks');

    const device = await connect({ clientId: 'dev-w', token: deviceToken, willController: 'monitor', willTopic: 'status/dev-w', willData: 'offline' });
    device.send({ action: 'will', controller: 'sensor', topic: 'temp', data: -1 });
    await device.waitFor((c) => c.json().find((f) => f.type === 'error'), 10_000, 'FORBIDDEN');
    expect(device.json().find((f) => f.type === 'error')).toMatchObject({ code: 'FORBIDDEN', action: 'will', message: 'this connection may not use controller sensor' });
    // Without the right on $presence, subscribing to it is FORBIDDEN too.
    device.send({ action: 'subscribe', controller: '$presence', topic: 'watch-w' });
    await device.waitFor((c) => c.json().filter((f) => f.type === 'error').length === 2, 10_000, 'FORBIDDEN');
    expect(device.json().filter((f) => f.type === 'error')[1]).toMatchObject({ code: 'FORBIDDEN', action: 'subscribe', message: 'this connection may not use controller $presence' });

    // Nothing was lost: the refused will did not replace the granted one, which is published when the device vanishes.
    device.socket.terminate();
    await watcher.waitFor((c) => c.messages().find((m) => m.controller === '$presence' && (m.data as { event?: string }).event === 'disconnected'), 15_000, 'disconnected');
    expect(watcher.messages().filter((m) => m.controller === 'monitor').map((m) => m.data)).toEqual(['offline']);
  });
});
