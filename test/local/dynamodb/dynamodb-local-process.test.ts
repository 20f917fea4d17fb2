import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbLocalStartError, PID_FILE, SHARED_DB_FILE, startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalOptions } from '../../../local/dynamodb/dynamodb-local-process.js';

/** Each test starts its own DynamoDB Local on its own free port (not the run's shared one) and stops it. */

const started: DynamoDbLocal[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((db) => db.stop()));
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function start(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const db = await startDynamoDbLocal(options);
  started.push(db);
  return db;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qosgate-ddb-local-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function clientFor(db: DynamoDbLocal, credentials = { accessKeyId: 'local', secretAccessKey: 'local' }, region = 'local'): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint: db.endpoint, region, credentials });
  cleanups.push(() => client.destroy());
  return client;
}

/** How a TCP connect from this machine to `host:port` ends: 'connected' or the error code. */
function tcpConnect(host: string, port: number): Promise<string> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      done('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * Addresses of this machine other than 127.0.0.1 to try: its non-loopback interface addresses
 * (link-local IPv6 left out: it needs a scope), plus 127.0.0.2 and ::1, which are this machine's
 * loopback too but not 127.0.0.1, so a refusal there also proves the bind is to 127.0.0.1 alone.
 */
function otherAddressesOfThisMachine(): string[] {
  const external = Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && !entry.address.toLowerCase().startsWith('fe80:'))
    .map((entry) => entry.address);
  return [...external, '127.0.0.2', '::1'];
}

/** The listening TCP sockets on `port` from /proc/net/tcp{,6} (what `ss -ltn` shows), as "address:port". */
function listenersOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state !== '0A' || !local?.endsWith(`:${hexPort}`)) continue; // 0A: LISTEN
      const hex = local.split(':')[0] as string;
      found.push(hex.length === 8 ? `${[...(hex.match(/../g) as string[])].reverse().map((b) => parseInt(b, 16)).join('.')}:${port}` : `[${hex}]:${port}`);
    }
  }
  return found;
}

/** The Access-Control-Allow-Origin DynamoDB Local answers a browser's preflight from `origin` with. */
async function allowedOrigin(db: DynamoDbLocal, origin: string): Promise<string | null> {
  const response = await fetch(db.endpoint, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-amz-target' } });
  await response.arrayBuffer();
  return response.headers.get('access-control-allow-origin');
}

/** Alive and not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('startDynamoDbLocal', () => {
  it('keeps data in the folder across a stop and a start, whatever the credentials and region', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await start({ dataDir });
    expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
    expect(readFileSync(join(dataDir, PID_FILE), 'utf8').trim()).toBe(String(first.pid));
    const writer = clientFor(first);
    await writer.send(
      new CreateTableCommand({
        TableName: 'kept',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
    await writer.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: 'a' }, value: { S: 'still here' } } }));
    await first.stop();
    expect(isRunning(first.pid)).toBe(false);
    expect(existsSync(join(dataDir, PID_FILE))).toBe(false);
    expect(existsSync(join(dataDir, SHARED_DB_FILE))).toBe(true);

    const second = await start({ dataDir });
    // -sharedDb: other credentials and region see the same tables.
    const reader = clientFor(second, { accessKeyId: 'other', secretAccessKey: 'other' }, 'eu-west-1');
    const { Item } = await reader.send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: 'a' } } }));
    expect(Item?.value).toEqual({ S: 'still here' });
  });

  it('runs in memory without a data folder, and stop() leaves no java process', async () => {
    const db = await start();
    const { TableNames } = await clientFor(db).send(new ListTablesCommand({}));
    expect(TableNames).toEqual([]);
    expect(readFileSync(`/proc/${db.pid}/cmdline`, 'utf8')).toContain('-inMemory');
    await db.stop();
    await db.stop(); // idempotent
    expect(isRunning(db.pid)).toBe(false);
    expect(await db.exited).toMatchObject({ code: expect.any(Number) });
  });

  it('kills a DynamoDB Local left running on the same folder, then serves it itself', async () => {
    const dataDir = tempDir();
    // Stands for the java a SIGKILLed runtime left behind: alive, with its pid file.
    const stale = await start({ dataDir });
    const logs: string[] = [];
    const fresh = await start({ dataDir, log: (line) => logs.push(line) });

    await stale.exited;
    expect(isRunning(stale.pid)).toBe(false);
    expect(logs.join('\n')).toContain(`stale DynamoDB Local (pid ${stale.pid})`);
    expect(readFileSync(join(dataDir, PID_FILE), 'utf8').trim()).toBe(String(fresh.pid));
    await expect(clientFor(fresh).send(new ListTablesCommand({}))).resolves.toBeDefined();
  });

  it('does not kill a process that is not DynamoDB Local, even if the pid file names it', async () => {
    const dataDir = tempDir();
    const bystander: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanups.push(() => bystander.kill('SIGKILL'));
    writeFileSync(join(dataDir, PID_FILE), `${bystander.pid}\n`);

    const db = await start({ dataDir });
    expect(isRunning(bystander.pid!)).toBe(true);
    expect(readFileSync(join(dataDir, PID_FILE), 'utf8').trim()).toBe(String(db.pid));
  });

  it('listens on 127.0.0.1 only: refused on every other address of this machine', async () => {
    const db = await start();
    expect(await tcpConnect('127.0.0.1', db.port)).toBe('connected');
    // `ss -ltn` reads the same table: one listener, on 127.0.0.1 (not *:PORT, not [::]:PORT).
    expect(listenersOn(db.port)).toEqual([`127.0.0.1:${db.port}`]);
    const others = otherAddressesOfThisMachine();
    console.log(`DynamoDB Local on 127.0.0.1:${db.port}; connecting to it on ${others.join(', ')} (each must be refused)`);
    for (const address of others) expect({ address, outcome: await tcpConnect(address, db.port) }).toMatchObject({ address, outcome: expect.stringMatching(/^(ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH)$/) });
  });

  it("answers browsers' CORS only for the origins it is given, never for any origin", async () => {
    const runtimeOrigin = 'http://127.0.0.1:3001';
    const db = await start({ corsOrigins: [runtimeOrigin] });
    expect(await allowedOrigin(db, runtimeOrigin)).toBe(runtimeOrigin);
    expect(await allowedOrigin(db, 'http://evil.example')).toBeNull();
    // Without origins it allows only its own: a page from anywhere else gets no CORS grant.
    const plain = await start();
    expect(await allowedOrigin(plain, 'http://evil.example')).toBeNull();
    expect(await allowedOrigin(plain, plain.endpoint)).toBe(plain.endpoint);
  });

  it('says so clearly when Java is missing', async () => {
    const failure = startDynamoDbLocal({ java: '/nonexistent/bin/java' });
    await expect(failure).rejects.toThrow(DynamoDbLocalStartError);
    await expect(failure).rejects.toThrow(/Java not found/);
  });

  it("reports DynamoDB Local's output when it exits before answering", async () => {
    const failure = startDynamoDbLocal({ java: 'sh', startTimeoutMs: 10_000 }).catch((error: unknown) => error);
    // `sh -Djava...` fails at once: stands for a java that dies at startup.
    const error = (await failure) as DynamoDbLocalStartError;
    expect(error).toBeInstanceOf(DynamoDbLocalStartError);
    expect(error.message).toMatch(/exited \(\d+\) before answering/);
    expect(error.output).not.toBe('');
  });
});
