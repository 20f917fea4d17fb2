import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTables } from '../../lambdas/adapters/dynamodb/create-tables.js';
import { DynamoDbDeadLetterStore } from '../../lambdas/adapters/dynamodb/dynamodb-dead-letter-store.js';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import { POLICY_ENV } from '../../lambdas/config.js';
import type { DeadLetter } from '../../lambdas/core/types.js';
import { RUNTIME_FILE_NAME, writeRuntimeFile } from '../../local/runtime-file.js';
import { FUTURE_EPOCH_MS, testDocumentClient, testDynamoDbClient, uniquePrefix } from '../support/dynamodb.js';

// `npm run dead-letters` against a running local runtime, with no flags but the folder: it reads
// the runtime's runtime.json. The "runtime" here is this test process (its pid is alive) with
// tables on the run's DynamoDB Local.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'qosgate-dead-letters-'));
let removeFile: () => Promise<void>;
const names = {} as Record<TableName, string>;

/** Runs the tool as `npm run dead-letters` does, with no AWS settings in its environment. */
function tool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return new Promise((done) => {
    execFile('npx', ['tsx', 'tools/dead-letters.ts', ...args], { cwd: PROJECT_ROOT, env }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function letter(sessionId: string, id: string): DeadLetter {
  const now = Date.now();
  return {
    entry: { sessionId, id, sessionKind: 'persistent', format: 'json', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, state: 'sent', parked: true, attempts: 5, createdAt: now, deadlineAt: FUTURE_EPOCH_MS, dueAt: now, expiresAt: FUTURE_EPOCH_MS },
    reason: 'attempts',
    deadAt: now,
    expiresAt: FUTURE_EPOCH_MS,
  };
}

beforeAll(async () => {
  const prefix = uniquePrefix('dl-tool');
  for (const name of Object.keys(TABLES) as TableName[]) names[name] = `${prefix}-${name}`;
  await createTables(testDynamoDbClient(), names);
  const env = Object.fromEntries((Object.keys(TABLES) as TableName[]).map((name) => [TABLES[name].envVar, names[name]]));
  removeFile = writeRuntimeFile(dataDir, {
    stage: 'local',
    url: 'ws://127.0.0.1:1/local',
    callbackUrl: 'http://127.0.0.1:1/local',
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    environments: { Connect: { ...env, [POLICY_ENV.messageTtlMs]: '60000' } },
  });
  const store = new DynamoDbDeadLetterStore(testDocumentClient(), names.deadLetters);
  await store.put(letter('dev-7', 'm-1'));
  await store.put(letter('dev-7', 'm-2'));
}, 30_000);

afterAll(async () => {
  await removeFile();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run dead-letters against a running local runtime', () => {
  it('finds the runtime by its runtime.json: list needs no endpoint, table, region or key flags', async () => {
    const { code, stdout } = await tool(['list', '--session', 'dev-7', '--data', dataDir]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line).id)).toEqual(['m-1', 'm-2']);
  }, 60_000);

  it('replay --id nope says nothing was found and exits 1; a real id replays and exits 0', async () => {
    const nope = await tool(['replay', '--session', 'dev-7', '--id', 'nope', '--data', dataDir]);
    expect(nope.code).toBe(1);
    expect(nope.stdout).toBe('');
    expect(nope.stderr).toContain('dead-letters: nothing found to replay: no dead letter with id nope for session dev-7');
    const real = await tool(['replay', '--session', 'dev-7', '--id', 'm-2', '--id', 'nope', '--data', dataDir]);
    expect(real.code).toBe(1); // one of the two was not found
    expect(JSON.parse(real.stdout.trim())).toMatchObject({ replayed: 'm-2', sessionId: 'dev-7', parked: true });
    expect(real.stderr).toContain('not found for session dev-7: nope');
    const again = await tool(['replay', '--session', 'dev-7', '--id', 'm-1', '--data', dataDir]);
    expect(again.code).toBe(0);
  }, 60_000);

  it('says so when no runtime runs: no runtime.json, or one whose process is gone', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'qosgate-no-runtime-'));
    try {
      const none = await tool(['list', '--session', 'dev-7', '--data', empty]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(`no tables given and no local runtime found (${join(empty, RUNTIME_FILE_NAME)} does not exist)`);
      // A pid that has exited: a runtime killed hard leaves its file behind.
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      writeFileSync(join(empty, RUNTIME_FILE_NAME), JSON.stringify({ pid: gone, tables: {} }));
      const stale = await tool(['list', '--session', 'dev-7', '--data', empty]);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain(`is from a local runtime that no longer runs (pid ${gone})`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
