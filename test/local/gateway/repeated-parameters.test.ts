import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../../lambdas/adapters/memory/index.js';
import type { AppDeps } from '../../../lambdas/app/deps.js';
import { withServerPublish } from '../../../lambdas/app/server-publish.js';
import { sampleControllers } from '../../../lambdas/core/controllers/registry.js';
import { DEFAULT_POLICY } from '../../../lambdas/core/policy.js';
import { createConnectHandler } from '../../../lambdas/handlers/connect.js';
import { silentLogger } from '../../../lambdas/ports/logger.js';
import type { LambdaLike } from '../../../local/gateway/index.js';
import { ManualClock } from '../../support/harness.js';
import { GatewayFixture, recording, routes } from './gateway-fixture.js';

// The local gateway hands $connect both query maps, as API Gateway does; the real connect
// handler must read the multi-value one, or `?qos=1&qos=2` would connect at QoS 2.

let fixture: GatewayFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

async function start(): Promise<{ deps: AppDeps; connectEvents: any[] }> {
  const deps: AppDeps = withServerPublish({
    stores: createMemoryStores(),
    gateway: { post: async () => 'ok', disconnect: async () => 'ok' as const, isOpen: async () => true },
    clock: new ManualClock(),
    policy: DEFAULT_POLICY,
    controllers: sampleControllers,
    newId: () => 'm1',
    log: silentLogger,
  });
  const connect = recording('connect', createConnectHandler(deps) as unknown as LambdaLike);
  fixture = await GatewayFixture.start({ routes: routes({ $connect: connect }) });
  return { deps, connectEvents: connect.events };
}

describe('repeated query parameters through the local gateway and the real $connect handler', () => {
  it('refuses ?qos=1&qos=2 with 400 naming qos', async () => {
    await start();
    await expect(fixture!.refused('?qos=1&qos=2')).resolves.toEqual({ status: 400, body: 'qos is repeated with different values' });
  });

  it('connects ?qos=1&qos=1 and merges controllers=monitor&controllers=sensor', async () => {
    const { deps, connectEvents } = await start();
    await fixture!.connect('?qos=1&qos=1&clientId=dev-7&controllers=monitor&controllers=sensor');
    const id: string = connectEvents[0].requestContext.connectionId;
    const record = await deps.stores.connections.get(id, deps.clock.now());
    expect(record).toMatchObject({ claimedQos: 1, controllers: ['monitor', 'sensor'] });
  });
});
