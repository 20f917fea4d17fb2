import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntimeProcess, type RuntimeProcess } from '../support/runtime-process.js';
import { TestClient } from '../support/ws-client.js';

/**
 * `npm start -- --bundled --auth` as a person runs it: it says which code and which Node run the
 * functions, serves the seed demo from the deploy bundles with the banner's tokens (the
 * Authorizer's bundle reads its key through the SDK from the local Secrets Manager, as on
 * Lambda), and Ctrl-C leaves no worker behind.
 */

/** The worker processes (local/lambda/bootstrap.ts) the runtime process started, with their command lines. */
function workersOf(pid: number): Array<{ pid: number; cmdline: string }> {
  return readdirSync(`/proc/${pid}/task`)
    .flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    .map((child) => ({ pid: child, cmdline: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim() }))
    .filter((child) => child.cmdline.includes('bootstrap.cjs'));
}

/** Alive and not a zombie. */
function isRunning(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('npm start -- --bundled', () => {
  let runtime: RuntimeProcess;
  beforeAll(async () => {
    runtime = await startRuntimeProcess(['--port', '0', '--in-memory', '--bundled', '--auth']);
  }, 180_000);
  afterAll(() => runtime?.kill('SIGKILL'), 30_000);

  it('prints the Node that runs the functions, in its steps and its banner, serves the seed from the bundles, and Ctrl-C stops every worker', async () => {
    const output = runtime.output();
    expect(output).toMatch(/^qosgate: functions: bundled mode: each function runs its deploy bundle on Node v22\.\d+\.\d+ \(\S+\/bin\/node\)/m);
    expect(output).toMatch(/^ {2}Functions +bundled: the deploy bundles on Node v22\.\d+\.\d+ \(\S+\/bin\/node\), a process pool per function$/m);

    // The banner's seed commands, tokens included: the second monitor's and the sensor's.
    const [, monitorUrl, sensorUrl] = [...output.matchAll(/npx wscat -c '([^']+)'/g)].map((m) => m[1] as string);
    await expect(TestClient.connect(runtime.url, { controllers: 'monitor' })).rejects.toMatchObject({ statusCode: 401 });
    const monitor = await TestClient.connect(monitorUrl as string);
    const sensor = await TestClient.connect(sensorUrl as string);
    sensor.send('sensor|temp|25.3');
    expect(await monitor.waitFor((c) => c.messages()[0], 15_000, 'the temp')).toMatchObject({ topic: 'temp', data: 25.3 });

    // Authorizer, Connect and Default at least, each on the Node 22 binary, outside the project.
    const workers = workersOf(runtime.child.pid as number);
    expect(workers.length).toBeGreaterThanOrEqual(3);
    for (const worker of workers) expect(worker.cmdline).toMatch(/\/node-(linux|darwin)-(x64|arm64)\/bin\/node \S*\/qosgate-lambda-\w+\/runtime\/bootstrap\.cjs$/);
    await Promise.all([monitor.close(), sensor.close()]);

    await runtime.kill('SIGINT');
    expect(runtime.child.exitCode).toBe(0);
    expect(workers.map((w) => w.pid).filter(isRunning)).toEqual([]);
    // And the temp folder of the bundles' copies is gone with them.
    const root = /(\S*\/qosgate-lambda-\w+)\/runtime\//.exec(workers[0]?.cmdline ?? '')?.[1] as string;
    expect(existsSync(root)).toBe(false);
  }, 60_000);
});
