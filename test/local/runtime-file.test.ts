import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { readRuntimeFile, RUNTIME_FILE_NAME } from '../../local/runtime-file.js';

const dataDir = mkdtempSync(join(tmpdir(), 'qosgate-runtime-file-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('runtime.json', () => {
  it('a file-backed runtime writes its endpoints and table names to its data folder once it listens, and removes them on stop', async () => {
    const runtime = await startLocalRuntime({ port: 0, dataDir, dashboard: false, schedules: false, context: { 'qosgate:policy': { messageTtlMs: 60_000 } } });
    let stopped = false;
    try {
      const file = readRuntimeFile(dataDir);
      expect(file).toMatchObject({
        pid: process.pid,
        url: runtime.url,
        callbackUrl: runtime.callbackUrl,
        dynamodbEndpoint: runtime.dynamodbEndpoint,
        stage: runtime.model.stageName,
        resendShards: 4,
        // The sink is on by default (qosgate:sink): the recording functions have SINK_ENABLED.
        policy: { ...DEFAULT_POLICY, messageTtlMs: 60_000, sinkEnabled: true },
      });
      // Every table, by role, with the runtime's local names.
      expect(Object.values(file!.tables).sort()).toEqual(Object.values(runtime.tableNames).sort());
      expect(Object.keys(file!.tables)).toEqual(expect.arrayContaining(['connections', 'pending', 'deadLetters']));
      await runtime.stop();
      stopped = true;
      expect(existsSync(join(dataDir, RUNTIME_FILE_NAME))).toBe(false);
    } finally {
      if (!stopped) await runtime.stop();
    }
  }, 60_000);

  it('an in-memory runtime has no data folder and writes none', async () => {
    const runtime = await startLocalRuntime({ port: 0, inMemory: true, dataDir, dashboard: false, schedules: false });
    try {
      expect(readRuntimeFile(dataDir)).toBeUndefined();
    } finally {
      await runtime.stop();
    }
  }, 60_000);
});
