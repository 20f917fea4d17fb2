import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * Issue 12 point 1 end to end, with the seed's own flow: real `ws` clients against the local
 * runtime (the synthesized app's functions, DynamoDB Local). A persistent monitor goes away,
 * the sensor's temps are kept for it, and its `resume` after reconnecting brings them.
 */
describe('the local runtime: a persistent monitor gets what invokeToAll sent while it was away', () => {
  let runtime: LocalRuntime;
  const finished = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const clients: TestClient[] = [];

  /** Resolves once the function has finished `count` invocations in all (no sleeping, no timing). */
  const invocations = async (functionId: string, count: number): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while ((finished.get(functionId) ?? 0) < count) {
      if (Date.now() > deadline) throw new Error(`${functionId} ran ${finished.get(functionId) ?? 0} times, not ${count}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const connect = async (query: Record<string, string>): Promise<TestClient> => {
    const client = await TestClient.connect(runtime.url, query);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    runtime = await startLocalRuntime({
      port: 0,
      inMemory: true,
      dashboard: false,
      onInvocation: (functionId) => {
        finished.set(functionId, (finished.get(functionId) ?? 0) + 1);
        for (const wake of waiters.splice(0)) wake();
      },
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await runtime?.stop();
  }, 60_000);

  it('monitor away, sensor|temp|25.3 twice, monitor back and resume: both readings arrive, dup: false (never sent before: MQTT DUP=0)', async () => {
    const query = { clientId: 'dev-7', session: 'persistent', qos: '1', controllers: 'monitor' };
    const disconnectsBefore = finished.get('Disconnect') ?? 0;
    const monitor = await connect(query);
    await monitor.close();
    await invocations('Disconnect', disconnectsBefore + 1);

    const sensor = await connect({ controllers: 'sensor' });
    const framesBefore = finished.get('Default') ?? 0;
    sensor.send('sensor|temp|25.3');
    sensor.send('sensor|temp|25.3');
    await invocations('Default', framesBefore + 2);
    expect(monitor.messages()).toEqual([]);

    const back = await connect(query);
    back.send({ action: 'resume' });
    const resumed = await back.waitFor((c) => c.messages().length >= 2 && c.messages().slice(0, 2), 10_000, 'both readings');
    expect(resumed).toEqual([
      expect.objectContaining({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, dup: false }),
      expect.objectContaining({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, dup: false }),
    ]);
    expect(resumed[0]?.id).not.toBe(resumed[1]?.id);
    back.send({ action: 'msgack', ids: resumed.map((m) => m.id as string) });
  });
});
