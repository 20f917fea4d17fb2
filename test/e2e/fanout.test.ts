import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

/**
 * End to end through the local SQS engine: an audience larger than the inline page is handed on
 * by page jobs that the template's event source mapping feeds the FanoutPage worker, with sizes
 * set the way a deployment sets them (CDK context `qosgate:fanout`): 30 subscribers, an inline
 * page of 10, job pages of 7. QoS 2: exactly once each; QoS 1: at least once each.
 */
const CONTEXT = { 'qosgate:fanout': { inlinePageSize: 10, jobPageSize: 7 } };
const AUDIENCE = 30;

describe('fan-out beyond one page on the local runtime', () => {
  let runtime: LocalRuntime;
  const clients: TestClient[] = [];
  const connect = async (query: Record<string, string>): Promise<TestClient> => {
    const client = await TestClient.connect(runtime.url, query);
    clients.push(client);
    return client;
  };
  const subscribe = async (topic: string, qos: 1 | 2): Promise<TestClient[]> => {
    const subscribers = await Promise.all(Array.from({ length: AUDIENCE }, () => connect({ qos: String(qos) })));
    for (const s of subscribers) s.send({ action: 'subscribe', controller: 'monitor', topic, qos });
    await Promise.all(subscribers.map((s) => s.waitFor((c) => c.json().find((f) => f.type === 'suback'))));
    return subscribers;
  };

  /** Waits, on a client's frames, until the fan-out queue holds no job, visible or in flight. */
  const emptyQueue = async (client: TestClient): Promise<void> => {
    const queueName = runtime.model.queues.find((q) => q.id === 'Queue')!.logicalId;
    const counts = () => runtime.sqs.counts(queueName);
    await client.waitFor(() => (counts().visible + counts().inFlight === 0 ? true : undefined), 20_000, 'an empty fan-out queue');
  };
  const invocations = new Map<string, number>();
  beforeAll(async () => {
    runtime = await startLocalRuntime({
      port: 0,
      inMemory: true,
      context: CONTEXT,
      dashboard: false,
      onInvocation: (id) => invocations.set(id, (invocations.get(id) ?? 0) + 1),
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await runtime?.stop();
  }, 60_000);

  it('runs the template\'s queue and mapping: a dead-letter queue after 5 receives, one job at a time, the worker on the fan-out queue', () => {
    const queue = runtime.model.queues.find((q) => q.id === 'Queue')!;
    expect(queue.redrive?.maxReceiveCount).toBe(5);
    expect(runtime.model.eventSourceMappings).toEqual([expect.objectContaining({ queueLogicalId: queue.logicalId, functionId: 'FanoutPage', batchSize: 1 })]);
    expect(runtime.environments.Publish?.FANOUT_QUEUE_URL).toBe(`${runtime.sqsEndpoint}/000000000000/${queue.logicalId}`);
  });

  it('QoS 2: the pubrel is acked after the inline page and the queued rest; every subscriber gets the message exactly once', async () => {
    const subscribers = await subscribe('vault', 2);
    const publisher = await connect({ qos: '2' });
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q-1' });
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'pubrec'));
    publisher.send({ action: 'pubrel', id: 'q-1' });
    const ack = await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack'), 20_000, 'the msgack');
    expect(ack).toEqual({ type: 'msgack', id: 'q-1', recipients: 10 });

    const got = await Promise.all(subscribers.map((s) => s.waitFor((c) => c.messages().find((m) => m.topic === 'vault'), 20_000, 'the vault message')));
    for (const message of got) expect(message).toMatchObject({ data: 'gold', qos: 2, dup: false });
    // Each one completes its handshake, so nothing is resent; then no one has a second one.
    for (const [i, s] of subscribers.entries()) s.send({ action: 'pubrec', id: got[i]?.id });
    await Promise.all(subscribers.map((s) => s.waitFor((c) => c.json().find((f) => f.type === 'pubrel'), 20_000, 'the pubrel')));
    for (const [i, s] of subscribers.entries()) s.send({ action: 'msgack', ids: [got[i]?.id] });
    await emptyQueue(publisher);
    for (const s of subscribers) expect(s.messages().filter((m) => m.topic === 'vault')).toHaveLength(1);
    const dlq = runtime.model.queues.find((q) => q.id === 'DeadLetterQueue')!.logicalId;
    expect(runtime.sqs.peek(dlq)).toEqual([]);
  }, 60_000);

  it('a will goes the same way: $disconnect hands on the inline page and queues the rest, and every subscriber gets it', async () => {
    const subscribers = await subscribe('status/dev-1', 1);
    const device = await connect({ qos: '1' });
    device.send({ action: 'will', controller: 'monitor', topic: 'status/dev-1', data: 'offline', qos: 1 });
    await device.waitFor((c) => c.json().find((f) => f.type === 'willack'), 10_000, 'the willack');
    const pagesBefore = invocations.get('FanoutPage') ?? 0;
    // Gone without a `disconnect` frame: its $disconnect publishes the will (PROTOCOL §9).
    device.socket.terminate();
    const got = await Promise.all(subscribers.map((s) => s.waitFor((c) => c.messages().find((m) => m.topic === 'status/dev-1'), 20_000, 'the will')));
    for (const message of got) expect(message).toMatchObject({ data: 'offline', qos: 1 });
    // A page's sends come before its invocation ends: once the queue is empty, every page has run.
    await emptyQueue(device);
    // 30 = the inline page of 10, then job pages of 7, 7 and 6, each run by the page worker.
    expect((invocations.get('FanoutPage') ?? 0) - pagesBefore).toBeGreaterThanOrEqual(3);
    expect(runtime.environments.Disconnect?.FANOUT_QUEUE_URL).toBe(runtime.environments.Publish?.FANOUT_QUEUE_URL);
  }, 60_000);

  it('QoS 1: the publish is acked with the inline page\'s count; every subscriber gets the message at least once', async () => {
    const subscribers = await subscribe('news', 1);
    const publisher = await connect({ qos: '1' });
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'news', data: 'hello', qos: 1, id: 'p-1' });
    const ack = await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack'), 20_000, 'the msgack');
    expect(ack).toEqual({ type: 'msgack', id: 'p-1', recipients: 10 });
    const got = await Promise.all(subscribers.map((s) => s.waitFor((c) => c.messages().find((m) => m.topic === 'news'), 20_000, 'the news')));
    for (const message of got) expect(message).toMatchObject({ data: 'hello', qos: 1 });
    expect(new Set(got.map((m) => m.id)).size).toBe(1);
  }, 60_000);
});
