import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime.js';
import { CliProcess } from '../support/cli-process.js';

/** `qosgate subscribe` with a topic filter (PROTOCOL §8), against the local runtime. */
describe('qosgate subscribe with a topic filter', { timeout: 60_000 }, () => {
  let runtime: LocalRuntime;
  const processes: CliProcess[] = [];
  const run = (...args: string[]): CliProcess => {
    const child = new CliProcess(args);
    processes.push(child);
    return child;
  };

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true });
  }, 120_000);
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.stop();
  });
  afterAll(async () => {
    await runtime?.stop();
  }, 60_000);

  it('prints the messages of every matching topic under their concrete topics, and none of the others', async () => {
    const subscriber = run('subscribe', '--url', runtime.url, '--topic', 'site-1/+/temp', '--qos', '1', '--count', '2');
    await subscriber.waitForOutput(/subscribed monitor\/site-1\/\+\/temp qos=1/, 'the subscription');
    for (const [topic, data] of [
      ['site-1/pump/humidity', '40'],
      ['site-1/boiler/temp', '60'],
      ['site-2/boiler/temp', '99'],
      ['site-1/pump/temp', '20'],
    ]) {
      const publisher = run('publish', '--url', runtime.url, '--controller', 'monitor', '--topic', topic as string, '--qos', '1', data as string);
      expect(await publisher.exited).toBe(0);
    }
    expect(await subscriber.exited).toBe(0);
    expect(subscriber.lines()).toEqual([
      expect.stringMatching(/^monitor\/site-1\/boiler\/temp 60 qos=1 id=\S+ dup=false$/),
      expect.stringMatching(/^monitor\/site-1\/pump\/temp 20 qos=1 id=\S+ dup=false$/),
    ]);
  });
});
