import { afterEach, describe, expect, it } from 'vitest';
import { dyingGateway } from '../support/dying-gateway.js';
import { Harness } from '../support/harness.js';

/** Runs a handler call until the gateway dies under it, then abandons it. */
async function abandon(call: Promise<unknown>, gateway: { died: Promise<void> }): Promise<void> {
  void call.catch(() => {});
  await gateway.died;
}

describe('fault injection', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('a handler dying in the middle of a QoS 1 fan-out loses nothing', async () => {
    h = await Harness.start();
    const real = h.deps.gateway;
    const monitors = await Promise.all(Array.from({ length: 5 }, () => h.client({ controllers: 'monitor', qos: '1' })));
    const sensor = await h.client({ qos: '1' });

    const dying = dyingGateway(real, 2);
    h.deps.gateway = dying;
    await abandon(h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: 21, qos: 1, id: 'c-1' }), dying);
    h.deps.gateway = real;
    // No msgack reached the sensor, so (PROTOCOL §4) it sends the publish again.
    expect(h.frames(sensor)).toEqual([]);
    await h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: 21, qos: 1, id: 'c-1', dup: true });
    expect(h.frames(sensor)).toEqual([{ type: 'msgack', id: 'c-1', recipients: 5 }]);

    // Every entry of the dead invocation was stored before its sends: the sweep delivers them.
    h.clock.advance(10_000);
    await h.sweep();
    for (const m of monitors) {
      const got = h.messages(m).filter((x) => x.data === 21);
      expect(new Set(got.map((x) => x.id)).size).toBe(2); // the first attempt's message and the retry's
      await h.send(m, { action: 'msgack', ids: [...new Set(got.map((x) => x.id as string))] });
      expect(await h.pendingOf(m)).toEqual([]);
    }
  });

  it('a handler dying in the middle of a QoS 2 hand-on hands nothing on twice', async () => {
    h = await Harness.start();
    const real = h.deps.gateway;
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => h.client({ qos: '2' })));
    for (const s of subscribers) await h.send(s, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q' });

    const dying = dyingGateway(real, 2);
    h.deps.gateway = dying;
    await abandon(h.send(publisher, { action: 'pubrel', id: 'q' }), dying);
    h.deps.gateway = real;
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toEqual([]);

    // The client sends pubrel again; while the dead invocation's lease holds, nothing happens.
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toEqual([]);
    // After the lease, the release is replayed with the same server id, and completes.
    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'q', recipients: 5 });

    for (const s of subscribers) {
      const pending = await h.pendingOf(s);
      expect(pending).toHaveLength(1);
      const ids = new Set(h.messages(s).map((m) => m.id));
      // However often it arrived, it is one message (one id): a QoS 2 client hands it on once.
      expect(ids).toEqual(new Set([pending[0]?.id]));
    }
    // And a pubrel after completion hands nothing on.
    const before = subscribers.map((s) => h.messages(s).length);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(subscribers.map((s) => h.messages(s).length)).toEqual(before);
  });

  it('DynamoDB throttling is retried by the SDK and nothing is lost', async () => {
    h = await Harness.start();
    let calls = 0;
    let throttled = 0;
    // Every other request to DynamoDB is refused the way DynamoDB refuses a hot partition; the
    // middleware sits inside the SDK's retry loop, so a refused attempt is retried.
    h.doc.middlewareStack.add(
      (next) => async (args) => {
        calls += 1;
        if (calls % 2 === 1) {
          throttled += 1;
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'throttleEveryOther' },
    );
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const subscriber = await h.client({ qos: '2' });
    await h.send(subscriber, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const sensor = await h.client({ qos: '2' });
    await h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: 22, qos: 1, id: 'a' });
    await h.send(sensor, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'x', qos: 2, id: 'b' });
    await h.send(sensor, { action: 'pubrel', id: 'b' });

    expect(throttled).toBeGreaterThan(5);
    expect(h.frames(sensor)).toEqual([{ type: 'msgack', id: 'a', recipients: 2 }, { type: 'pubrec', id: 'b' }, { type: 'msgack', id: 'b', recipients: 1 }]);
    expect(h.messages(monitor)).toMatchObject([{ data: 22, qos: 1 }]);
    expect(h.messages(subscriber).filter((m) => m.topic === 'vault')).toMatchObject([{ data: 'x', qos: 2 }]);
    expect(await h.pendingOf(monitor)).toHaveLength(1);
    // Subscribing opened the monitor controller for it too (PROTOCOL §1), so it also has the temp.
    expect((await h.pendingOf(subscriber)).map((e) => e.topic).sort()).toEqual(['temp', 'vault']);
    expect(h.log.lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 60_000);
});
