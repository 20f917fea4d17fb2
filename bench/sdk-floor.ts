/**
 * The SDK floor: how much of one core a single AWS SDK v3 call takes on this machine, on the
 * caller's side alone. Every delivery of the local runtime is at least one PostToConnection
 * (and a share of DynamoDB requests) made through the real SDK client, all on the runtime's one
 * Node thread, so this bounds what the local throughput and fan-out figures can reach here,
 * whatever qosgate's own code does (issue 13).
 *
 *   npx tsx bench/sdk-floor.ts [--calls N]     alone, on a DynamoDB Local of its own
 *
 * The server of the management API rows is a no-op HTTP server in a child process and DynamoDB
 * Local is java, so this process's CPU (process.cpuUsage) is the client's only. Each row runs
 * once unmeasured first (the JIT), then `calls` calls, 16 in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { apiGatewayClientFor } from '../lambdas/adapters/apigateway/api-gateway-connection-gateway.js';
import { createScratchTable } from './ceiling.js';
import { markdownTable } from './markdown-table.js';

export interface SdkFloorRow {
  name: string;
  /** Microseconds of this process's CPU (user + system) per call. */
  cpuUsPerCall: number;
  /** 1 s of one core over that: the most calls a second one thread can make. */
  callsPerCoreSecond: number;
}

export interface SdkFloorResult {
  calls: number;
  inFlight: number;
  frameBytes: number;
  rows: SdkFloorRow[];
  /** The management API client as the functions build it (`apiGatewayClientFor`). */
  post: SdkFloorRow;
  /** A DocumentClient PutItem, as the stores call DynamoDB. */
  dynamodb: SdkFloorRow;
}

const IN_FLIGHT = 16;
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const TABLE = 'qosgate-bench-sdk-floor';
/** A delivery's frame: 1 KB of data and its envelope. */
const FRAME = JSON.stringify({ type: 'message', controller: 'monitor', topic: 'temp', id: 'mh2x0k1a3f9c2d4e:1', qos: 1, data: 'x'.repeat(1000) });

/** Answers every request 200 with no body, as PostToConnection's success; prints its port. */
const NO_OP_SERVER = `
const server = require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' }); res.end(); }); });
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function startNoOpServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', NO_OP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the no-op server exited (${code}) before listening`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  return { url: `http://127.0.0.1:${port}/bench`, child };
}

/** Runs `call` `calls` times, IN_FLIGHT at once, after an unmeasured quarter as many. */
async function measure(name: string, calls: number, call: (i: number) => Promise<unknown>): Promise<SdkFloorRow> {
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < count) await call(next++);
      }),
    );
  };
  await run(Math.ceil(calls / 4));
  const before = process.cpuUsage();
  await run(calls);
  const used = process.cpuUsage(before);
  const cpuUsPerCall = Math.round((used.user + used.system) / calls);
  return { name, cpuUsPerCall, callsPerCoreSecond: Math.round(1e6 / cpuUsPerCall) };
}

/** The floor of each kind of call, measured against `dynamodbEndpoint` and a no-op management API. */
export async function measureSdkFloor(dynamodbEndpoint: string, calls: number): Promise<SdkFloorResult> {
  const server = await startNoOpServer();
  const frame = new TextEncoder().encode(FRAME);
  const rows: SdkFloorRow[] = [];
  try {
    // The same request without any SDK: what the HTTP client costs by itself.
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const { hostname, port, pathname } = new URL(server.url);
    rows.push(
      await measure('HTTP POST of the frame, node:http with keep-alive (no SDK)', calls, (i) =>
        new Promise<void>((resolve, reject) => {
          const req = request({ hostname, port, method: 'POST', path: `${pathname}/@connections/c${i}`, agent, headers: { 'content-type': 'application/json', 'content-length': frame.byteLength } }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end(frame);
        }),
      ),
    );
    agent.destroy();
    for (const [name, cacheMiddleware] of [
      ['PostToConnection, the functions\' client (apiGatewayClientFor: middleware cached)', true],
      ['PostToConnection, the SDK\'s default client (middleware chain built per send)', false],
    ] as const) {
      const client = apiGatewayClientFor(server.url, { region: 'us-east-1', credentials: CREDENTIALS, cacheMiddleware });
      try {
        rows.push(await measure(name, calls, (i) => client.send(new PostToConnectionCommand({ ConnectionId: `c${i}`, Data: frame }))));
      } finally {
        client.destroy();
      }
    }
    const dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint, region: 'us-east-1', credentials: CREDENTIALS });
    const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    await createScratchTable(dynamodb, TABLE);
    try {
      // A pending reference's size and shape.
      rows.push(
        await measure('PutItem of a 300 B item, DocumentClient (as the stores), DynamoDB Local', calls, (i) =>
          doc.send(new PutCommand({ TableName: TABLE, Item: { pk: `s${i % 64}`, sk: `m${i}:1`, state: 'sent', attempts: 1, dueAt: Date.now() + 30_000, pad: 'x'.repeat(200) } })),
        ),
      );
    } finally {
      await dynamodb.send(new DeleteTableCommand({ TableName: TABLE })).catch(() => {});
      dynamodb.destroy();
    }
  } finally {
    server.child.kill();
  }
  const [, post, , dynamodbRow] = rows as [SdkFloorRow, SdkFloorRow, SdkFloorRow, SdkFloorRow];
  return { calls, inFlight: IN_FLIGHT, frameBytes: frame.byteLength, rows, post, dynamodb: dynamodbRow };
}

/**
 * What the posts alone cost: `posts` PostToConnection calls through the functions' client (the
 * run's counted posts per delivery, or 10,000 for a fan-out), and the most deliveries a second
 * one core could give at that cost. DynamoDB requests, the gateway's side and the sockets come
 * on top; they are left out so the bound is one no code of ours can beat.
 */
export function postFloor(floor: SdkFloorResult, posts: number): { cpuMs: number; deliveriesPerCoreSecond: number } {
  const cpuUs = posts * floor.post.cpuUsPerCall;
  return { cpuMs: Math.round(cpuUs) / 1000, deliveriesPerCoreSecond: Math.round(1e6 / cpuUs) };
}

export function sdkFloorTable(floor: SdkFloorResult): string {
  const header = `The SDK floor: one call's CPU on the caller's side, this machine (${floor.calls} calls a row, ${floor.inFlight} in flight, a ${floor.frameBytes} B frame)`;
  const headers = ['call', 'CPU µs per call', 'calls/s one core can make'];
  const rows = floor.rows.map((r) => [r.name, String(r.cpuUsPerCall), String(r.callsPerCoreSecond)]);
  return [`### ${header}`, '', markdownTable(headers, rows)].join('\n');
}

// Standalone: `npx tsx bench/sdk-floor.ts [--calls N]`, on a DynamoDB Local of its own.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { calls: { type: 'string' } }, strict: true });
  const calls = Number(values.calls ?? '5000');
  if (!Number.isInteger(calls) || calls < 100) {
    console.error(`bench/sdk-floor: --calls must be a whole number of at least 100, got "${values.calls}"`);
    process.exit(2);
  }
  const { startDynamoDbLocal } = await import('../local/dynamodb/dynamodb-local-process.js');
  const local = await startDynamoDbLocal();
  try {
    console.log(sdkFloorTable(await measureSdkFloor(local.endpoint, calls)));
  } finally {
    await local.stop();
  }
}
