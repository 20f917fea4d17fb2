import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
