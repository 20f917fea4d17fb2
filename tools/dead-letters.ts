/**
 * Dead letters, for the operator (docs/deploy.md "Dead letters"):
 *
 *   npm run dead-letters -- list   --session <sessionId>            a session's dead letters
 *   npm run dead-letters -- list   --all                            every session's (a Scan: rare, by hand)
 *   npm run dead-letters -- replay --session <sessionId> [--id <id>]...   put them back as pending, due now
 *
 * Which tables, where:
 * - a deployed stage: `--outputs cdk-outputs.json` (written by `npx cdk deploy --outputs-file cdk-outputs.json`),
 *   or `--dead-letters-table`, `--pending-table`, `--messages-table`, `--connections-table`; region and credentials come from
 *   the AWS SDK's usual chain (AWS_PROFILE, AWS_REGION).
 * - a running local runtime (`npm start`), found by itself when neither is given: it reads the
 *   runtime's `runtime.json` (local/runtime-file.ts) in `.qosgate/data` or `--data <dir>` (the folder
 *   given to `npm start -- --data`), with its DynamoDB Local endpoint, table names, policy and shards.
 * `--endpoint`, `--region`, `--policy` and `--shards` override either. Replay uses the default policy
 * (message TTL) unless `--policy '{"messageTtlMs":...}'` (or the runtime's) says otherwise, and the default
 * 4 resend shards unless `--shards N` (it must be the deployment's qosgate:sweep shards).
 *
 * Exit codes: 0 done, 1 failed or `replay` found nothing to replay (or not every `--id`), 2 usage.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbDeadLetterStore } from '../lambdas/adapters/dynamodb/dynamodb-dead-letter-store.js';
import { createDynamoDbStores } from '../lambdas/adapters/dynamodb/index.js';
import { listDeadLetters, replayDeadLetters } from '../lambdas/app/dead-letters.js';
import { DEFAULT_SWEEP } from '../lambdas/config.js';
import { DEFAULT_POLICY, type QosPolicy } from '../lambdas/core/policy.js';
import type { DeadLetter } from '../lambdas/core/types.js';
import { isRunning, readRuntimeFile, RUNTIME_FILE_NAME, type RuntimeFile } from '../local/runtime-file.js';
import { LOCAL_STATE_DIR } from '../local/template/synth.js';

const USAGE = `usage: npm run dead-letters -- <list|replay> (--session <id> | --all) [--id <id>]...
       [--outputs cdk-outputs.json | --dead-letters-table T --pending-table T --messages-table T --connections-table T]
       [--data DIR (a running npm start's data folder; default .qosgate/data)]
       [--endpoint URL] [--region R] [--policy JSON] [--shards N]`;

/** The stack outputs naming each table (lib/qosgate-stack.ts: `<Table>TableName`). */
const OUTPUT_NAMES = {
  deadLetters: 'DeadLettersTableName',
  pending: 'PendingTableName',
  messages: 'MessagesTableName',
  connections: 'ConnectionsTableName',
} as const;

type TableNames = Record<keyof typeof OUTPUT_NAMES, string | undefined>;

function tableNames(values: Record<string, string | undefined>): TableNames {
  let outputs: Record<string, string> = {};
  if (values.outputs) {
    // `cdk deploy --outputs-file` writes { "<StackName>": { "<OutputName>": value } }.
    const file = JSON.parse(readFileSync(values.outputs, 'utf8')) as Record<string, Record<string, string>>;
    outputs = Object.assign({}, ...Object.values(file));
  }
  return {
    deadLetters: values['dead-letters-table'] ?? outputs[OUTPUT_NAMES.deadLetters],
    pending: values['pending-table'] ?? outputs[OUTPUT_NAMES.pending],
    messages: values['messages-table'] ?? outputs[OUTPUT_NAMES.messages],
    connections: values['connections-table'] ?? outputs[OUTPUT_NAMES.connections],
  };
}

/** Where the tables are: a deployed stage by flags or outputs, else a running local runtime. */
interface Target {
  tables: TableNames;
  endpoint?: string;
  region?: string;
  /** The fake keys DynamoDB Local accepts, when the target is a local runtime. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  policy: Partial<QosPolicy>;
  shards?: number;
}

function chooseTarget(values: Record<string, string | undefined>): Target {
  const named = tableNames(values);
  if (values.outputs || named.deadLetters || named.pending || named.messages || named.connections) return { tables: named, policy: {} };
  const dataDir = values.data ? resolve(values.data) : join(LOCAL_STATE_DIR, 'data');
  const runtime = readRuntimeFile(dataDir);
  if (runtime === undefined) {
    throw new Error(
      `dead-letters: no tables given and no local runtime found (${join(dataDir, RUNTIME_FILE_NAME)} does not exist).\n` +
        '  A deployed stage: --outputs cdk-outputs.json (or --dead-letters-table, --pending-table, --messages-table, --connections-table).\n' +
        '  A local runtime: start it (npm start; not --in-memory), and pass --data DIR if it runs with --data DIR.',
    );
  }
  if (!isRunning(runtime)) {
    throw new Error(`dead-letters: ${join(dataDir, RUNTIME_FILE_NAME)} is from a local runtime that no longer runs (pid ${runtime.pid}); start it again (npm start)`);
  }
  return fromRuntime(runtime);
}

function fromRuntime(runtime: RuntimeFile): Target {
  return {
    tables: {
      deadLetters: runtime.tables.deadLetters,
      pending: runtime.tables.pending,
      messages: runtime.tables.messages,
      connections: runtime.tables.connections,
    },
    endpoint: runtime.dynamodbEndpoint,
    region: runtime.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    policy: runtime.policy,
    shards: runtime.resendShards,
  };
}

function describe(letter: DeadLetter): string {
  const { entry } = letter;
  return JSON.stringify({
    sessionId: entry.sessionId,
    id: entry.id,
    qos: entry.qos,
    state: entry.state,
    controller: entry.controller,
    topic: entry.topic,
    data: entry.data,
    attempts: entry.attempts,
    reason: letter.reason,
    deadAt: new Date(letter.deadAt).toISOString(),
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      session: { type: 'string' },
      all: { type: 'boolean' },
      id: { type: 'string', multiple: true },
      outputs: { type: 'string' },
      'dead-letters-table': { type: 'string' },
      'pending-table': { type: 'string' },
      'messages-table': { type: 'string' },
      'connections-table': { type: 'string' },
      data: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      policy: { type: 'string' },
      shards: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || (command !== 'list' && command !== 'replay') || (!values.session && !(command === 'list' && values.all))) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const target = chooseTarget(values as Record<string, string | undefined>);
  const names = target.tables;
  if (!names.deadLetters) throw new Error('dead-letters: no dead letters table (give --outputs or --dead-letters-table)');
  const endpoint = values.endpoint ?? target.endpoint;
  const region = values.region ?? target.region;
  const client = new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const now = Date.now();
  // Must be the deployment's qosgate:sweep shards, or a replayed entry lands in a shard no sweep reads.
  const shards = values.shards ? Number(values.shards) : (target.shards ?? DEFAULT_SWEEP.shards);
  if (!Number.isInteger(shards) || shards <= 0) throw new Error('dead-letters: --shards must be a positive integer');
  try {
    if (command === 'list' && values.all) {
      for await (const page of new DynamoDbDeadLetterStore(doc, names.deadLetters).scanAll(now)) for (const letter of page) console.log(describe(letter));
      return 0;
    }
    const sessionId = values.session as string;
    if (command === 'list') {
      const stores = createDynamoDbStores(doc, { deadLetters: names.deadLetters }, { resendShards: shards });
      for (const letter of await listDeadLetters({ stores }, sessionId, now)) console.log(describe(letter));
      return 0;
    }
    if (!names.pending || !names.messages || !names.connections) {
      throw new Error('dead-letters: replay needs the pending, messages and connections tables too (--outputs, or --pending-table, --messages-table and --connections-table)');
    }
    const policy: QosPolicy = { ...DEFAULT_POLICY, ...target.policy, ...(values.policy ? (JSON.parse(values.policy) as Partial<QosPolicy>) : {}) };
    const stores = createDynamoDbStores(
      doc,
      { deadLetters: names.deadLetters, pending: names.pending, messages: names.messages, connections: names.connections },
      { resendShards: shards },
    );
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    const replayed = await replayDeadLetters({ stores, policy, log }, sessionId, now, values.id);
    for (const entry of replayed) console.log(JSON.stringify({ replayed: entry.id, sessionId, qos: entry.qos, parked: entry.parked, connectionId: entry.connectionId }));
    // Nothing found is not success: a mistyped id or session must not look like a replay.
    const missing = (values.id ?? []).filter((id) => !replayed.some((entry) => entry.id === id));
    if (replayed.length === 0) {
      console.error(`dead-letters: nothing found to replay: no dead letter${values.id ? ` with id ${values.id.join(', ')}` : 's'} for session ${sessionId}`);
      return 1;
    }
    console.error(`${replayed.length} replayed: the resend sweep sends ${replayed.length === 1 ? 'it' : 'them'} within a minute (parked ones on the session's resume).`);
    if (missing.length > 0) {
      console.error(`dead-letters: not found for session ${sessionId}: ${missing.join(', ')}`);
      return 1;
    }
    return 0;
  } finally {
    client.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
