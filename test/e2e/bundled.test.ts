import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { pause, TestClient } from '../support/ws-client.js';
import { readSinkRecords } from '../../lambdas/adapters/file/file-sink-writer.js';

/**
 * End to end in bundled mode: the deploy bundles `cdk synth` makes (esbuild, `index.handler`,
 * the SDK external), each function in its own Node 22 processes with only its template
 * environment, behind the same gateway, schedules and queue as the source mode, driven by
 * plain `ws` clients. One synth for the file (reused from .qosgate/bundled when unchanged).
 */
const FAST = {
  'qosgate:policy': { ackTimeoutMs: 300, backoffCapMs: 600 },
  'qosgate:sweep': { intervalMs: 100 },
};

describe('the local runtime in bundled mode, end to end', () => {
  let runtime: LocalRuntime;
  const progress: string[] = [];
  const invocations: string[] = [];
  const warnings: string[] = [];
  const clients: TestClient[] = [];
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
      context: FAST,
      bundled: true,
      onProgress: (step, message) => progress.push(`${step}: ${message}`),
      onInvocation: (functionId) => invocations.push(functionId),
      log: { info: () => {}, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) },
    });
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await runtime?.stop();
  }, 60_000);

  it('says it runs the deploy bundles on Node 22, and which binary', () => {
    expect(progress.find((line) => line.startsWith('functions: '))).toMatch(
      /^functions: bundled mode: each function runs its deploy bundle on Node v22\.\d+\.\d+ \(\S+\/node-(linux|darwin)-(x64|arm64)\/bin\/node\)/,
    );
    // Every function's code is its bundle: the asset folder of the bundled synth.
    for (const fn of Object.values(runtime.model.functions)) expect(fn.asset, fn.functionId).toMatchObject({ bundled: true, path: expect.stringMatching(/\/asset\.[0-9a-f]{64}$/) });
  });

  it('the seed: sensor temp reaches every monitor; the QoS monitor gets dup resends until it acks', async () => {
    const qosMonitor = await connect({ controllers: 'monitor', qos: '1' });
    const plainMonitor = await connect({ controllers: 'monitor' });
    const sensor = await connect({ controllers: 'sensor' });
    sensor.send('sensor|temp|25.3');

    const first = await qosMonitor.waitFor((c) => c.messages()[0], 15_000, 'the temp');
    expect(first).toMatchObject({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, dup: false });
    const id = first.id as string;
    await qosMonitor.waitFor((c) => c.messages().filter((m) => m.id === id && m.dup === true).length >= 2, 15_000, 'two dup resends');
    qosMonitor.send(`monitor|msgack|${id}`);
    await pause(300);
    const countAtAck = qosMonitor.messages().length;
    await pause(1500);
    expect(qosMonitor.messages()).toHaveLength(countAtAck);
    expect(plainMonitor.messages()).toEqual([{ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 0, dup: false }]);
    // onInvocation still reports each Lambda invocation as it ends, across the process boundary
    // (the Resend sweep's invocation lasts its minute, so it is not over yet).
    expect(invocations.filter((id) => id === 'Connect')).toHaveLength(3);
    expect(invocations).toContain('Default');
    await Promise.all([qosMonitor.close(), plainMonitor.close(), sensor.close()]);
  });

  it('QoS 2 from a client and toward a subscriber: pubrec, pubrel, msgack, handed on once', async () => {
    const subscriber = await connect({ qos: '2' });
    subscriber.send({ action: 'subscribe', controller: 'monitor', topic: 'billing', qos: 2 });
    await subscriber.waitFor((c) => c.json().find((f) => f.type === 'suback'), 15_000, 'the suback');
    const publisher = await connect({ qos: '2' });
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'billing', data: { cents: 995 }, qos: 2, id: 'c-1' });
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'pubrec'), 15_000, 'the pubrec');
    publisher.send({ action: 'pubrel', id: 'c-1' });
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack'), 15_000, 'the msgack');
    const message = await subscriber.waitFor((c) => c.messages()[0], 15_000, 'the message');
    expect(message).toMatchObject({ data: { cents: 995 }, qos: 2 });

    const id = message.id as string;
    subscriber.send({ action: 'pubrec', id });
    await subscriber.waitFor((c) => c.json().find((f) => f.type === 'pubrel' && f.id === id), 15_000, 'the pubrel');
    subscriber.send({ action: 'msgack', id });
    await pause(1500);
    const pubrels = subscriber.json().filter((f) => f.type === 'pubrel').length;
    await pause(1000);
    expect(subscriber.json().filter((f) => f.type === 'pubrel')).toHaveLength(pubrels);
    expect(subscriber.messages().filter((m) => m.dup === false)).toHaveLength(1);
    expect(warnings.filter((w) => /Cannot find module|ERR_/.test(w))).toEqual([]);
  });

  it('runs the Sink from its bundle too: an acked publish reaches the sink files through the stream and the local Firehose', async () => {
    const publisher = await connect({ controllers: 'monitor', clientId: 'bundled-probe' });
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'bundled', data: 3.5, qos: 1, id: 'b-1' });
    await publisher.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === 'b-1'), 15_000, 'the msgack');
    await expect
      .poll(async () => (await readSinkRecords(runtime.sink!.dir)).map((s) => s.record.messageId), { timeout: 30_000 })
      .toContain('bundled-probe:b-1');
    expect(invocations).toContain('Sink');
    expect(warnings.filter((w) => /AccessDenied|Sink/.test(w))).toEqual([]);
  }, 60_000);
});

describe('bundled mode refuses what cannot cross a process', () => {
  it('refuses overrides before anything starts, saying why', async () => {
    await expect(startLocalRuntime({ port: 0, inMemory: true, bundled: true, overrides: { log: { info: () => {}, warn: () => {}, error: () => {} } } })).rejects.toThrow(
      /bundled mode runs each function in its own Node 22 process, which `overrides` \(objects of this process\) cannot reach/,
    );
  });
});
