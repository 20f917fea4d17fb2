import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startRuntimeProcess, type RuntimeProcess } from '../support/runtime-process.js';
import { TestClient } from '../support/ws-client.js';

/** Pids of processes whose command line mentions `text` (here: DynamoDB Local on our data folder). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('a runtime killed with SIGKILL while messages are pending', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'qosgate-restart-'));
  const runtimes: RuntimeProcess[] = [];
  const startRuntime = async (port: number): Promise<RuntimeProcess> => {
    const runtime = await startRuntimeProcess(['--port', String(port), '--data', dataDir, '--quiet', '--policy', '{"ackTimeoutMs":300,"backoffCapMs":600}', '--sweep', '{"intervalMs":100}']);
    runtimes.push(runtime);
    return runtime;
  };
  afterAll(async () => {
    for (const r of runtimes) await r.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('delivers them after it is started again on the same data folder', async () => {
    const port = await freePort();
    const first = await startRuntime(port);
    const device = await TestClient.connect(first.url, { controllers: 'monitor', qos: '1', clientId: 'dev-42', session: 'persistent' });
    const sensor = await TestClient.connect(first.url, { controllers: 'sensor' });
    sensor.send('sensor|temp|42.5');
    const message = await device.waitFor((c) => c.messages().find((m) => m.data === 42.5));

    // The whole runtime (node and its DynamoDB Local) dies at once, acks never came.
    await first.kill('SIGKILL');
    await device.waitFor((c) => c.closed, 10_000, 'the close');

    const second = await startRuntime(port);
    const back = await TestClient.connect(second.url, { controllers: 'monitor', qos: '1', clientId: 'dev-42', session: 'persistent' });
    back.send({ action: 'resume' });
    const resent = await back.waitFor((c) => c.messages().find((m) => m.id === message.id), 15_000, 'the pending message');
    expect(resent).toMatchObject({ data: 42.5, qos: 1, dup: true });
    back.send({ action: 'msgack', id: message.id as string });
    await back.close();

    // Ctrl-C (SIGINT) stops everything: the process exits and no DynamoDB Local is left behind.
    await second.kill('SIGINT');
    expect(second.child.exitCode).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 180_000);
});
