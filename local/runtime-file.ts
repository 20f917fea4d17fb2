import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TABLES, type TableName } from '../lambdas/adapters/dynamodb/schema.js';
import { readPolicy, readSweep } from '../lambdas/config.js';
import type { QosPolicy } from '../lambdas/core/policy.js';

/**
 * `runtime.json` in the data folder of a running local runtime (`npm start`): what a tool needs to
 * reach it without flags (`npm run dead-letters` reads it). Written once everything listens,
 * removed on stop; a runtime killed hard leaves it behind, so readers check its `pid` is alive.
 * An in-memory runtime (`--in-memory`) has no data folder and writes none.
 */
export const RUNTIME_FILE_NAME = 'runtime.json';

export interface RuntimeFile {
  /** The runtime's process: a file whose process is gone is stale. */
  pid: number;
  startedAt: string;
  stage: string;
  /** ws://host:port/stage */
  url: string;
  /** http://host:port/stage: the management API. */
  callbackUrl: string;
  dynamodbEndpoint: string;
  /** Any region works with DynamoDB Local; the one the runtime's functions use. */
  region: string;
  /** Local table name by role (lambdas/adapters/dynamodb/schema.ts TABLES). */
  tables: Partial<Record<TableName, string>>;
  /** The policy the functions run with (replay needs its messageTtlMs). */
  policy: QosPolicy;
  /** The resend shards the sweep reads (a replayed entry must land in one of them). */
  resendShards: number;
}

/** What {@link writeRuntimeFile} takes from the running runtime. */
export interface RunningRuntime {
  stage: string;
  url: string;
  callbackUrl: string;
  dynamodbEndpoint: string;
  /** Each function's environment, as the handlers got it (table names, policy, sweep). */
  environments: Record<string, Record<string, string>>;
}

/**
 * Writes `runtime.json` into `dataDir` (nothing when `undefined`: an in-memory runtime) and
 * returns what removes it, for the runtime's stop.
 */
export function writeRuntimeFile(dataDir: string | undefined, runtime: RunningRuntime): () => Promise<void> {
  if (dataDir === undefined) return async () => {};
  const env: Record<string, string> = Object.assign({}, ...Object.values(runtime.environments));
  const tables: Partial<Record<TableName, string>> = {};
  for (const [name, spec] of Object.entries(TABLES) as Array<[TableName, (typeof TABLES)[TableName]]>) {
    if (env[spec.envVar] !== undefined) tables[name] = env[spec.envVar];
  }
  const contents: RuntimeFile = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stage: runtime.stage,
    url: runtime.url,
    callbackUrl: runtime.callbackUrl,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    tables,
    policy: readPolicy(env),
    resendShards: readSweep(env).shards,
  };
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, RUNTIME_FILE_NAME);
  // Written whole, then renamed: a reader never sees half a file.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return async () => {
    // Only our own: a later runtime on the same folder may have replaced it.
    if (readRuntimeFile(dataDir)?.pid === process.pid) rmSync(path, { force: true });
  };
}

/** The parsed `runtime.json` of `dataDir`, or `undefined` when there is none. */
export function readRuntimeFile(dataDir: string): RuntimeFile | undefined {
  let raw: string;
  try {
    raw = readFileSync(join(dataDir, RUNTIME_FILE_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(raw) as RuntimeFile;
}

/** Whether the process that wrote a runtime file still runs (signal 0 only checks). */
export function isRunning(file: Pick<RuntimeFile, 'pid'>): boolean {
  try {
    process.kill(file.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
