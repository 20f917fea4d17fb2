import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingManagementApi, type CountingManagementApi } from '../../bench/counting-management-api.js';
import { CALLBACK_URL_ENV } from '../../lambdas/config.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * The local runtime's `managementEndpoint`: the functions post through another management API
 * (the bench's counting endpoint), which passes what it does not answer itself on to the
 * gateway's own; clients are served as before.
 */
describe('the local runtime with a managementEndpoint', () => {
  let runtime: LocalRuntime;
  let counting: CountingManagementApi;
  let client: TestClient | undefined;

  beforeAll(async () => {
    counting = await startCountingManagementApi({ counted: (id) => id.startsWith('stored') });
    runtime = await startLocalRuntime({ port: 0, inMemory: true, schedules: false, dashboard: false, managementEndpoint: counting.origin });
    counting.forwardTo(runtime.callbackUrl);
  }, 120_000);
  afterAll(async () => {
    await client?.close();
    await runtime?.stop();
    await counting?.close();
  }, 60_000);

  it('gives every function the endpoint as its callback URL, the stage path kept', () => {
    const stage = new URL(runtime.callbackUrl).pathname;
    for (const env of Object.values(runtime.environments)) {
      if (env[CALLBACK_URL_ENV] !== undefined) expect(env[CALLBACK_URL_ENV]).toBe(`${counting.origin}${stage}`);
    }
    expect(runtime.callbackUrl).not.toContain(counting.origin);
  });

  it("sends a client's answers through it to the client's socket", async () => {
    client = await TestClient.connect(runtime.url, { qos: '1' });
    client.send({ action: 'subscribe', controller: 'monitor', topic: 'news', qos: 1 });
    const suback = await client.waitFor((c) => c.json().find((f) => f.type === 'suback'), 20_000, 'the suback');
    expect(suback).toMatchObject({ type: 'suback', controller: 'monitor', topic: 'news', qos: 1 });
    expect(counting.counts().forwarded).toBeGreaterThanOrEqual(1);
    expect(counting.counts().posts).toBe(0);
  });
});
