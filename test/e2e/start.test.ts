import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../local/data-folder-lock.js';
import { assertPortFree } from '../../local/port-check.js';
import { freePort } from '../support/free-port.js';
import { startRuntimeProcess, type RuntimeProcess } from '../support/runtime-process.js';
import { TestClient } from '../support/ws-client.js';

/**
 * `npm start` as a person runs it (node local/start.ts in its own process group): its options,
 * its start-up output, one runtime per data folder, and what happens when its DynamoDB Local
 * dies under it.
 */

/**
 * Runs `npm start` with `args` until it exits by itself: its exit code and all it printed. One
 * that is still running after `guardMs` (it started when it should have refused) is killed with
 * its whole process group, java included, and reported as code 'still running'.
 */
function runStart(args: string[], guardMs = 45_000): Promise<{ code: number | null | 'still running'; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { cwd: process.cwd(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let guarded = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const guard = setTimeout(() => {
      guarded = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // it exited meanwhile
      }
    }, guardMs);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code: guarded ? 'still running' : code, output });
    });
  });
}

/** The java process the runtime (node) started: its DynamoDB Local. */
function javaChildOf(pid: number): number {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  const java = children.find((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('DynamoDBLocal.jar'));
  if (java === undefined) throw new Error(`no DynamoDB Local among the children of ${pid}: ${children.join(', ')}`);
  return java;
}

/** Alive and not a zombie. */
function isRunning(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function exitOf(runtime: RuntimeProcess, timeoutMs: number): Promise<number | null> {
  if (runtime.child.exitCode !== null || runtime.child.signalCode !== null) return Promise.resolve(runtime.child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the runtime did not exit within ${timeoutMs} ms:\n${runtime.output()}`)), timeoutMs);
    runtime.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function listTables(endpoint: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
}

const STEPS = /^qosgate: (synth|database|tables|listening):/m;

describe('npm start refuses a bad command line before Java starts', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--port', '70000'], /--port must be a port number from 0 to 65535 .*"70000"/],
    [['--port', '30x1'], /--port must be a port number/],
    [['--in-memory', '--data', '/tmp/qosgate-never-created'], /--in-memory and --data exclude each other/],
    [['--policy', '{"ackTimeoutMS":300}'], /unknown policy setting "ackTimeoutMS"/],
    [['--sweep', '{"intervalMs":'], /--sweep is not JSON/],
    [['--idle-timeout-ms', '0'], /--idle-timeout-ms must be a whole number of milliseconds from 1/],
    [['--prot', '3001'], /Unknown option '--prot'.*--help/],
  ];
  it.each(cases)('%j: exit code 2 and what to change', async (args, message) => {
    const { code, output } = await runStart(args);
    expect({ code, output }).toMatchObject({ code: 2, output: expect.stringMatching(message) });
    // Nothing was started: no step, no DynamoDB Local, no "qosgate: qosgate:".
    expect(output).not.toMatch(STEPS);
    expect(output).not.toMatch(/qosgate: qosgate:/);
    expect(existsSync('/tmp/qosgate-never-created')).toBe(false);
  }, 60_000);
});

describe('one runtime per data folder, and a runtime that loses its database', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'qosgate-start-')), 'data');
  const runtimes: RuntimeProcess[] = [];
  let first: RuntimeProcess;
  let port: number;
  let firstJava: number;

  beforeAll(async () => {
    port = await freePort();
    first = await startRuntimeProcess(['--port', String(port), '--data', dataDir, '--auth', '--policy', '{"ackTimeoutMs":300}', '--sweep', '{"intervalMs":100}']);
    runtimes.push(first);
    firstJava = javaChildOf(first.child.pid as number);
  }, 120_000);
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.kill('SIGKILL');
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }, 30_000);

  it('says what it is doing while it starts, then shows the active policy and sweep', () => {
    const output = first.output();
    const steps = [...output.matchAll(/^qosgate: (synth|database|tables|listening):/gm)].map((m) => m[1]);
    expect([...new Set(steps)]).toEqual(['synth', 'database', 'tables', 'listening']);
    expect(output.indexOf('qosgate: listening:')).toBeLessThan(output.indexOf('qosgate is running on this machine'));
    expect(output).toMatch(new RegExp(`^qosgate: database: +DynamoDB Local ready on ${first.dynamodbEndpoint}, pid ${firstJava}`, 'm'));
    expect(output).toMatch(/^ {2}Policy +ackTimeoutMs 300\*, backoffCapMs 300000, attemptLimit 20/m);
    expect(output).toMatch(/\* set by --policy/);
    expect(output).toMatch(/^ {2}Sweep +shards 4, intervalMs 100\*, windowMs 50000, batchSize 100$/m);
  });

  it("--auth: the banner's example commands carry tokens, connect, and run the seed demo", async () => {
    const commands = [...first.output().matchAll(/npx wscat -c '([^']+)'/g)].map((m) => m[1] as string);
    expect(commands).toHaveLength(3);
    for (const url of commands) expect(new URL(url).searchParams.get('token')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(first.output()).toMatch(/commands below carry tokens minted\s+for this run \(valid 24 h\)/);
    // Auth is really on: the same URL without its token is refused.
    const bare = new URL(commands[0] as string);
    bare.searchParams.delete('token');
    await expect(TestClient.connect(bare.toString())).rejects.toMatchObject({ statusCode: 401 });

    const [qosMonitor, plainMonitor, sensor] = await Promise.all(commands.map((url) => TestClient.connect(url)));
    try {
      sensor!.send('sensor|temp|25.3');
      const message = await qosMonitor!.waitFor((c) => c.messages()[0], 10_000, 'the reading at QoS 1');
      expect(message).toMatchObject({ controller: 'monitor', topic: 'temp', data: 25.3, qos: 1 });
      await plainMonitor!.waitFor((c) => c.messages()[0], 10_000, 'the reading at QoS 0');
      qosMonitor!.send(`monitor|msgack|${message.id as string}`);
    } finally {
      for (const client of [qosMonitor, plainMonitor, sensor]) await client?.close();
    }
  }, 60_000);

  it('a second start on the same data folder exits non-zero naming the running one, and leaves it serving', async () => {
    const tablesBefore = await listTables(first.dynamodbEndpoint);
    const second = await runStart(['--port', String(await freePort()), '--data', dataDir]);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`the data folder ${dataDir} is in use by another qosgate runtime (pid ${first.child.pid}`);
    expect(second.output).toContain(first.url);
    expect(second.output).toContain(first.dynamodbEndpoint);
    expect(second.output).not.toMatch(/starting DynamoDB Local/);
    // The first one's database is untouched and still answers.
    expect(isRunning(firstJava)).toBe(true);
    expect(await listTables(first.dynamodbEndpoint)).toEqual(tablesBefore);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: first.child.pid, ports: { gateway: port } });
  }, 60_000);

  it('a second start on the same port exits non-zero before it starts anything, and --quiet prints only that', async () => {
    const second = await runStart(['--port', String(port), '--in-memory', '--quiet']);
    expect(second.code).toBe(1);
    expect(second.output.trim()).toBe(`qosgate: port ${port} on 127.0.0.1 is already in use by another process (\`ss -ltnp 'sport = :${port}'\` shows which). Stop it, or choose another port with --port N.`);
    expect(isRunning(firstJava)).toBe(true);
  }, 60_000);

  it('kill -9 of its DynamoDB Local: the runtime says so, stops what it started and exits non-zero', async () => {
    process.kill(firstJava, 'SIGKILL');
    expect(await exitOf(first, 30_000)).toBe(1);
    expect(first.output()).toContain(`qosgate: DynamoDB Local (pid ${firstJava}) exited under the running runtime (killed by SIGKILL)`);
    expect(first.output()).toContain(`the data in ${dataDir} is kept`);
    // Its WebSocket port is free again, and it let go of the data folder.
    await expect(assertPortFree('127.0.0.1', port)).resolves.toBeUndefined();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it("a lock left by a runtime that was SIGKILLed is stale: the next start takes the folder over", async () => {
    const killed = await startRuntimeProcess(['--port', String(port), '--data', dataDir, '--quiet']);
    runtimes.push(killed);
    // --quiet: the banner, and not one start-up step.
    expect(killed.output()).not.toMatch(STEPS);
    await killed.kill('SIGKILL');
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: killed.child.pid });

    const next = await startRuntimeProcess(['--port', String(port), '--data', dataDir]);
    runtimes.push(next);
    expect(next.output()).toMatch(new RegExp(`took over the lock of a runtime that is gone \\(pid ${killed.child.pid}`));
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: next.child.pid });
    await next.kill('SIGINT');
    expect(next.child.exitCode).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 120_000);
});
