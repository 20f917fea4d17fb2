import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { TestClient } from '../support/ws-client.js';

/** `npm start` as a person runs it, in its own process group so a test can SIGKILL all of it. */
async function startRuntime(port: number, dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', '--port', String(port), '--data', dataDir, '--quiet', '--policy', '{"ackTimeoutMs":300,"backoffCapMs":600}', '--sweep', '{"intervalMs":100}'],
    { cwd: process.cwd(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!/WebSocket\s+(ws:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null) throw new Error(`runtime exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`runtime did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /WebSocket\s+(ws:\/\/\S+)/.exec(output)?.[1] as string;
  return { child, url, output: () => output };
}

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

function killGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      resolve();
    }
  });
}

describe('a runtime killed with SIGKILL while messages are pending', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'qosgate-restart-'));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await killGroup(c, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('delivers them after it is started again on the same data folder', async () => {
    const port = await freePort();
    const first = await startRuntime(port, dataDir);
    children.push(first.child);
    const device = await TestClient.connect(first.url, { controllers: 'monitor', qos: '1', clientId: 'dev-42', session: 'persistent' });
    const sensor = await TestClient.connect(first.url, { controllers: 'sensor' });
    sensor.send('sensor|temp|42.5');
    const message = await device.waitFor((c) => c.messages().find((m) => m.data === 42.5));

    // The whole runtime (node and its DynamoDB Local) dies at once, acks never came.
    await killGroup(first.child, 'SIGKILL');
    await device.waitFor((c) => c.closed, 10_000, 'the close');

    const second = await startRuntime(port, dataDir);
    children.push(second.child);
    const back = await TestClient.connect(second.url, { controllers: 'monitor', qos: '1', clientId: 'dev-42', session: 'persistent' });
    back.send({ action: 'resume' });
    const resent = await back.waitFor((c) => c.messages().find((m) => m.id === message.id), 15_000, 'the pending message');
    expect(resent).toMatchObject({ data: 42.5, qos: 1, dup: true });
    back.send({ action: 'msgack', id: message.id as string });
    await back.close();

    // Ctrl-C (SIGINT) stops everything: the process exits and no DynamoDB Local is left behind.
    await new Promise<void>((resolve) => {
      second.child.once('exit', () => resolve());
      process.kill(second.child.pid as number, 'SIGINT');
    });
    expect(second.child.exitCode).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 180_000);
});
