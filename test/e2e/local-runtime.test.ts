import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { pause, TestClient } from '../support/ws-client.js';

/**
 * End to end: real `ws` clients against the running local runtime (synthesized app, API
 * Gateway emulation, the Lambda handlers, DynamoDB Local, the resend schedule). Short ack
 * timeouts come through the same configuration a deployment uses (CDK context).
 */
const FAST = {
  'qosgate:policy': { ackTimeoutMs: 300, backoffCapMs: 600 },
  'qosgate:sweep': { intervalMs: 100 },
};

describe('the local runtime, end to end', () => {
  let runtime: LocalRuntime;
  const clients: TestClient[] = [];
  const connect = async (query: Record<string, string>): Promise<TestClient> => {
    const client = await TestClient.connect(runtime.url, query);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true, context: FAST });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await runtime?.stop();
  }, 60_000);

  it('the seed: the QoS monitor gets dup resends until it acks, the other monitor gets it once with no id', async () => {
    const qosMonitor = await connect({ controllers: 'monitor', qos: '1' });
    const plainMonitor = await connect({ controllers: 'monitor' });
    const sensor = await connect({ controllers: 'sensor' });
    sensor.send('sensor|temp|25.3');

    const first = await qosMonitor.waitFor((c) => c.messages()[0], 10_000, 'the temp');
    expect(first).toMatchObject({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, dup: false });
    const id = first.id as string;
    expect(id).toBeTruthy();

    await qosMonitor.waitFor((c) => c.messages().filter((m) => m.id === id && m.dup === true).length >= 2, 10_000, 'two dup resends');
    qosMonitor.send(`monitor|msgack|${id}`);
    await pause(300);
    const countAtAck = qosMonitor.messages().length;
    await pause(1500);
    expect(qosMonitor.messages()).toHaveLength(countAtAck);

    expect(plainMonitor.messages()).toEqual([{ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 0, dup: false }]);
    await Promise.all([qosMonitor.close(), plainMonitor.close(), sensor.close()]);
  });

  it('QoS 2 from a client: pubrec, pubrel, handed on once, msgack', async () => {
    const subscriber = await connect({ qos: '2' });
    subscriber.send({ action: 'subscribe', controller: 'monitor', topic: 'billing', qos: 2 });
    await subscriber.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    const publisher = await connect({ qos: '2' });
    const publish = { action: 'publish', controller: 'monitor', topic: 'billing', data: { cents: 995 }, qos: 2, id: 'c-1' };
    publisher.send(publish);
    publisher.send({ ...publish, dup: true });
    await publisher.waitFor((c) => c.json().filter((f) => f.type === 'pubrec').length === 2);
    // The repeated pubrel waits for the first one's msgack: frames of one connection run
    // concurrently (as API Gateway invokes them), and a pubrel arriving while the first still
    // hands on is answered by that first one only (PROTOCOL §4; lambdas/handlers/commands/pubrel.ts).
    publisher.send({ action: 'pubrel', id: 'c-1' });
    await publisher.waitFor((c) => c.json().filter((f) => f.type === 'msgack').length === 1);
    publisher.send({ action: 'pubrel', id: 'c-1' });
    await publisher.waitFor((c) => c.json().filter((f) => f.type === 'msgack').length === 2);
    const message = await subscriber.waitFor((c) => c.messages()[0]);
    expect(message).toMatchObject({ data: { cents: 995 }, qos: 2 });

    // QoS 2 toward the subscriber: the message until pubrec, then pubrel until msgack.
    const id = message.id as string;
    subscriber.send({ action: 'pubrec', id });
    await subscriber.waitFor((c) => c.json().filter((f) => f.type === 'pubrel' && f.id === id).length >= 2, 10_000, 'pubrel resends');
    const messagesAtPubrec = subscriber.messages().length;
    subscriber.send({ action: 'msgack', id });
    await pause(1500);
    const pubrels = subscriber.json().filter((f) => f.type === 'pubrel').length;
    await pause(1000);
    expect(subscriber.json().filter((f) => f.type === 'pubrel')).toHaveLength(pubrels);
    expect(subscriber.messages()).toHaveLength(messagesAtPubrec);
    expect(subscriber.messages().filter((m) => m.dup === false)).toHaveLength(1);
  });

  it('a persistent session that disconnects before acking gets the message after it reconnects and resumes', async () => {
    const sensor = await connect({ controllers: 'sensor' });
    const device = await connect({ controllers: 'monitor', qos: '1', clientId: 'dev-7', session: 'persistent' });
    sensor.send('sensor|temp|19.5');
    const message = await device.waitFor((c) => c.messages().find((m) => m.data === 19.5));
    await device.close();

    const again = await connect({ controllers: 'monitor', qos: '1', clientId: 'dev-7', session: 'persistent' });
    again.send({ action: 'resume' });
    const resent = await again.waitFor((c) => c.messages().find((m) => m.id === message.id));
    expect(resent).toMatchObject({ data: 19.5, dup: true });
    again.send({ action: 'msgack', id: message.id as string });
  });

  it('bad input never takes the runtime down: a malformed query string, a bad frame, a vanished client', async () => {
    await expect(TestClient.connect(runtime.url, { qos: '%E0%A4%A' })).rejects.toMatchObject({ statusCode: 400 });
    const raw = await TestClient.connect(`${runtime.url}?qos=%E0%A4%A&x=%`).catch((error: { statusCode?: number }) => error);
    expect(raw).toMatchObject({ statusCode: 400 });

    const client = await connect({ qos: '1' });
    client.send('{"action":');
    client.send({ action: 'publish', controller: 'monitor', topic: 't', qos: 5 });
    await client.waitFor((c) => c.json().filter((f) => f.type === 'error').length === 2);
    // Two frames sent without waiting: handled concurrently, their answers come in either order.
    expect(client.json().map((f) => f.code).sort()).toEqual(['BAD_FRAME', 'BAD_REQUEST']);

    const vanishing = await connect({ controllers: 'monitor', qos: '1' });
    vanishing.socket.terminate();
    const sensor = await connect({ controllers: 'sensor' });
    sensor.send('sensor|temp|1');
    client.send({ action: 'ping' });
    await client.waitFor((c) => c.json().find((f) => f.type === 'pong'));
  });
});
