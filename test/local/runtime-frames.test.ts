import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * The local runtime hands one connection's frames to the handlers concurrently, as API Gateway
 * invokes them (local/gateway/websocket-endpoint.ts). Proved with a store hook: the fan-out Query
 * of a held topic waits until a second one is running, so two publishes of one connection both get
 * through only if both are in their handlers at once; handled one at a time, the first waits until
 * its invocation times out.
 */
const HELD_TOPIC = 'monitor|held';

describe('the local runtime runs one connection\'s frames concurrently', () => {
  let runtime: LocalRuntime;
  const clients: TestClient[] = [];
  let armed = false;
  let running = 0;
  let bothRunning!: () => void;
  const together = new Promise<void>((resolve) => (bothRunning = resolve));

  beforeAll(async () => {
    // On each function's own DynamoDB client (the runtime enforces each one's IAM policy on it).
    const hold = (dynamodb: DynamoDBClient) => dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = JSON.stringify((args as { input?: unknown }).input ?? {});
        if (armed && context.commandName === 'QueryCommand' && input.includes(HELD_TOPIC)) {
          running += 1;
          if (running === 2) bothRunning();
          await together;
        }
        return next(args);
      },
      { step: 'initialize', name: 'holdUntilTwoFanOuts' },
    );
    runtime = await startLocalRuntime({
      port: 0,
      inMemory: true,
      dashboard: false,
      schedules: false,
      overrides: {
        sdkClient: (client) => {
          if (client instanceof DynamoDBClient) hold(client);
          return client;
        },
      },
    });
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.close();
    await runtime?.stop();
  }, 60_000);

  it('two publishes of one connection are both in their handlers at once, and both are delivered', async () => {
    const subscriber = await TestClient.connect(runtime.url, {});
    const publisher = await TestClient.connect(runtime.url, {});
    clients.push(subscriber, publisher);
    subscriber.send({ action: 'subscribe', controller: 'monitor', topic: 'held', qos: 0 });
    await subscriber.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    armed = true;
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'held', data: 1, qos: 0 });
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'held', data: 2, qos: 0 });
    await together;
    const messages = await subscriber.waitFor((c) => (c.messages().length === 2 ? c.messages() : undefined), 10_000, 'both messages');
    expect(messages.map((m) => m.data).sort()).toEqual([1, 2]);
    // Nothing for the publisher (QoS 0 has no answer): handled one at a time, the first publish
    // would have run out of time waiting for the second (API Gateway's "Internal server error").
    expect(publisher.json()).toEqual([]);
  });

  it('refuses a bound on frames in flight that is not a whole number >= 1 before it starts anything', async () => {
    await expect(startLocalRuntime({ port: 0, inMemory: true, maxFramesInFlightPerConnection: 0 })).rejects.toThrow(/maxFramesInFlightPerConnection must be a whole number >= 1/);
    await expect(startLocalRuntime({ port: 0, inMemory: true, maxFramesInFlight: -1 })).rejects.toThrow(/maxFramesInFlight must be a whole number >= 1/);
  });
});
