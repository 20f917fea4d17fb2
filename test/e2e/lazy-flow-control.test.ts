import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * Lazy flow control (issue 13) end to end on the local runtime (real sockets, the synthesized
 * template's functions, each with only the tables its route is granted, and the resend schedule).
 */
const FAST = {
  'qosgate:policy': { ackTimeoutMs: 300, backoffCapMs: 600, maxInflight: 2 },
  'qosgate:sweep': { intervalMs: 100 },
};

describe('lazy flow control on the local runtime', () => {
  let runtime: LocalRuntime;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true, context: FAST });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await runtime?.stop();
  }, 60_000);

  it('a subscriber that stops acking is flagged by the sweep; its acks release what was held, in order; nothing dropped, no error', async () => {
    const subscriber = await TestClient.connect(runtime.url, { qos: '1' });
    const publisher = await TestClient.connect(runtime.url, { qos: '1' });
    clients.push(subscriber, publisher);
    subscriber.send({ action: 'subscribe', controller: 'monitor', topic: 'lazy', qos: 1 });
    await subscriber.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    const publish = async (n: number) => {
      publisher.send({ action: 'publish', controller: 'monitor', topic: 'lazy', data: n, qos: 1, id: `p${n}` });
      await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === `p${n}`), 10_000, `msgack p${n}`);
    };
    for (const n of [1, 2, 3]) await publish(n);
    // Not acked: the sweep resends (and so flags the subscriber).
    await subscriber.waitFor((c) => c.messages().filter((m) => m.dup === true).length >= 3, 10_000, 'dup resends');
    await publish(4);
    await publish(5);

    const firstArrivals = () => [...new Set(subscriber.messages().map((m) => m.data))];
    const ackAll = () => subscriber.send({ action: 'msgack', ids: [...new Set(subscriber.messages().map((m) => m.id as string))] });
    ackAll();
    await subscriber.waitFor((c) => c.messages().some((m) => m.data === 4), 10_000, 'the held 4');
    ackAll();
    await subscriber.waitFor((c) => c.messages().some((m) => m.data === 5), 10_000, 'the held 5');
    expect(firstArrivals()).toEqual([1, 2, 3, 4, 5]);
    // Caught up, it was unflagged (the grants that needs: test/handlers/flow-control-grants.test.ts);
    // a new message goes at once, and nothing so far was answered with an error.
    ackAll();
    await publish(6);
    await subscriber.waitFor((c) => c.messages().some((m) => m.data === 6), 10_000, 'the 6');
    expect(firstArrivals()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(subscriber.json().filter((f) => f.type === 'error')).toEqual([]);
  }, 60_000);
});
