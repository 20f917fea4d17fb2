import { describe, expect, it } from 'vitest';
import { defineController, runController } from '../../../lambdas/core/controllers/controller.js';
import { sampleControllers } from '../../../lambdas/core/controllers/registry.js';
import { ProtocolError } from '../../../lambdas/core/errors.js';

const sender = { sessionId: 's', connectionId: 'c' };

describe('controllers (PROTOCOL §5)', () => {
  it("sensor.temp invokes every monitor with AtLeastOnce, like the seed's InvokeToAll<Monitor>(t, \"temp\", QoS.AtLeastOnce)", async () => {
    const deliveries = await runController(sampleControllers.get('sensor'), 'temp', 25.3, 0, sender);
    expect(deliveries).toEqual([{ via: 'invoke', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1 }]);
  });

  it('sensor.temp refuses a reading that is not a number', async () => {
    await expect(runController(sampleControllers.get('sensor'), 'temp', 'hot', 0, sender)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('a topic without a method goes to its subscribers at the sender QoS', async () => {
    const deliveries = await runController(sampleControllers.get('monitor'), 'alerts', { x: 1 }, 2, sender);
    expect(deliveries).toEqual([{ via: 'publish', controller: 'monitor', topic: 'alerts', data: { x: 1 }, qos: 2 }]);
  });

  it('does not take inherited properties for topic methods', async () => {
    const deliveries = await runController(defineController('x'), 'toString', 1, 0, sender);
    expect(deliveries[0]?.via).toBe('publish');
  });

  it('publishToAll and invokeToAll default to fire-and-forget', async () => {
    const both = defineController('both', {
      go(data, ctx) {
        ctx.invokeToAll('a', 't', data);
        ctx.publishToAll('b', 't', data, 2);
      },
    });
    expect(await runController(both, 'go', 1, 1, sender)).toEqual([
      { via: 'invoke', controller: 'a', topic: 't', data: 1, qos: 0 },
      { via: 'publish', controller: 'b', topic: 't', data: 1, qos: 2 },
    ]);
  });

  it('an unknown controller is UNKNOWN_CONTROLLER', () => {
    expect(() => sampleControllers.get('nope')).toThrow(ProtocolError);
    expect(() => sampleControllers.get('nope')).toThrow(/no controller named "nope"/);
  });
});
