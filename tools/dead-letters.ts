/**
 * Dead letters, for the operator (docs/deploy.md "Dead letters"):
 *
 *   npm run dead-letters -- list   --session <sessionId>            a session's dead letters
 *   npm run dead-letters -- list   --all                            every session's (a Scan: rare, by hand)
 *   npm run dead-letters -- replay --session <sessionId> [--id <id>]...   put them back as pending, due now
 *
 * Tables: `--outputs cdk-outputs.json` (written by `npx cdk deploy --outputs-file cdk-outputs.json`),
 * or `--dead-letters-table`, `--pending-table`, `--connections-table`. `--endpoint http://127.0.0.1:8000`
 * for DynamoDB Local; region and credentials come from the AWS SDK's usual chain (AWS_PROFILE, AWS_REGION).
 * Replay uses the default policy (message TTL) unless `--policy '{"messageTtlMs":...}'` says otherwise, and the
 * default 4 resend shards unless `--shards N` (it must be the deployment's qosgate:sweep shards).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbDeadLetterStore } from '../lambdas/adapters/dynamodb/dynamodb-dead-letter-store.js';
import { createDynamoDbStores } from '../lambdas/adapters/dynamodb/index.js';
import { listDeadLetters, replayDeadLetters } from '../lambdas/app/dead-letters.js';
import { DEFAULT_SWEEP } from '../lambdas/config.js';
import { DEFAULT_POLICY, type QosPolicy } from '../lambdas/core/policy.js';
import type { DeadLetter } from '../lambdas/core/types.js';

const USAGE = `usage: npm run dead-letters -- <list|replay> (--session <id> | --all) [--id <id>]...
       [--outputs cdk-outputs.json | --dead-letters-table T --pending-table T --connections-table T]
       [--endpoint URL] [--policy JSON] [--shards N]`;

/** The stack outputs naming each table (lib/qosgate-stack.ts: `<Table>TableName`). */
const OUTPUT_NAMES = { deadLetters: 'DeadLettersTableName', pending: 'PendingTableName', connections: 'ConnectionsTableName' } as const;

function tableNames(values: Record<string, string | undefined>): Record<keyof typeof OUTPUT_NAMES, string | undefined> {
  let outputs: Record<string, string> = {};
  if (values.outputs) {
    // `cdk deploy --outputs-file` writes { "<StackName>": { "<OutputName>": value } }.
    const file = JSON.parse(readFileSync(values.outputs, 'utf8')) as Record<string, Record<string, string>>;
    outputs = Object.assign({}, ...Object.values(file));
  }
  return {
    deadLetters: values['dead-letters-table'] ?? outputs[OUTPUT_NAMES.deadLetters],
    pending: values['pending-table'] ?? outputs[OUTPUT_NAMES.pending],
    connections: values['connections-table'] ?? outputs[OUTPUT_NAMES.connections],
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
      'connections-table': { type: 'string' },
      endpoint: { type: 'string' },
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
  const names = tableNames(values as Record<string, string | undefined>);
  if (!names.deadLetters) throw new Error('dead-letters: no dead letters table (give --outputs or --dead-letters-table)');
  const client = new DynamoDBClient(values.endpoint ? { endpoint: values.endpoint } : {});
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const now = Date.now();
  // Must be the deployment's qosgate:sweep shards, or a replayed entry lands in a shard no sweep reads.
  const shards = values.shards ? Number(values.shards) : DEFAULT_SWEEP.shards;
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
    if (!names.pending || !names.connections) throw new Error('dead-letters: replay needs the pending and connections tables too (--outputs, or --pending-table and --connections-table)');
    const policy: QosPolicy = { ...DEFAULT_POLICY, ...(values.policy ? (JSON.parse(values.policy) as Partial<QosPolicy>) : {}) };
    const stores = createDynamoDbStores(doc, { deadLetters: names.deadLetters, pending: names.pending, connections: names.connections }, { resendShards: shards });
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    const replayed = await replayDeadLetters({ stores, policy, log }, sessionId, now, values.id);
    for (const entry of replayed) console.log(JSON.stringify({ replayed: entry.id, sessionId, qos: entry.qos, parked: entry.parked, connectionId: entry.connectionId }));
    console.error(`${replayed.length} replayed: the resend sweep sends ${replayed.length === 1 ? 'it' : 'them'} within a minute (parked ones on the session's resume).`);
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
