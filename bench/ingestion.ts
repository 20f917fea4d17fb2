import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTables, prefixedTableNames } from '../lambdas/adapters/dynamodb/create-tables.js';
import { createDynamoDbStores } from '../lambdas/adapters/dynamodb/index.js';
import { MemoryPageClaimStore } from '../lambdas/adapters/memory/memory-page-claim-store.js';
import { MemoryPageQueue } from '../lambdas/adapters/memory/memory-page-queue.js';
import type { AppDeps } from '../lambdas/app/deps.js';
import { DEFAULT_FANOUT } from '../lambdas/config.js';
import { withServerPublish } from '../lambdas/app/server-publish.js';
import { sampleControllers } from '../lambdas/core/controllers/registry.js';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';
import { MAX_BATCH_MESSAGES } from '../lambdas/core/types.js';
import { DEFAULT_MEMORY_MB, ROUTES } from '../lambdas/routes.js';
import { msgack, publish, subscribe } from '../lambdas/handlers/commands/index.js';
import { createConnectHandler } from '../lambdas/handlers/connect.js';
import type { WebSocketEvent, WebSocketResult } from '../lambdas/handlers/events.js';
import { createFrameHandler } from '../lambdas/handlers/frame-handler.js';
import { silentLogger } from '../lambdas/ports/logger.js';
import { startDynamoDbLocal } from '../local/dynamodb/dynamodb-local-process.js';
import { IOT_CORE_PRICES, PRICES } from './cost.js';
import { diffCounts, meteredDynamoDbClient, type DynamoDbCounts } from './dynamodb-meter.js';
import { markdownTable } from './markdown-table.js';

/** A route function's memory in the stack (lambdas/routes.ts; a route without one gets 256 MB). */
function routeMemoryMb(routeKey: string): number {
  return ROUTES.find((route) => route.routeKey === routeKey)?.memoryMb ?? DEFAULT_MEMORY_MB;
}

/**
 * What ingesting sensor readings costs (issue 16: batched publish, PROTOCOL §2 `messages`; the
 * durable sink, §11), per million readings, at batch sizes 1, 10 and 100: QoS 1, 100-byte
 * readings, with no subscriber and with 1 (a dashboard on `site-1/#` that acks each frame's
 * deliveries in one msgack, as the client's ack batcher does). The real frame handlers (publish,
 * msgack: the Publish and Msgack functions' code) run in-process on the DynamoDB stores through
 * bench/dynamodb-meter.ts; a counting gateway stands for API Gateway's management API.
 *
 *   npx tsx bench/ingestion.ts [--quick] [--readings N] [--out docs/bench]
 *
 * Measured: API Gateway messages (inbound frames and outbound posts, each metered in 32 KB
 * units), Lambda invocations and their in-process duration (billed per invocation rounded up to
 * 1 ms, at the function's memory in the stack: lambdas/routes.ts), DynamoDB write and read units. Modelled (the sink is another
 * part of issue 16): one Firehose record per reading, billed in 5 KB units, and one sink Lambda
 * invocation per 100 stream records (the event source mapping's batch size), at an assumed
 * duration. Beside it, AWS IoT Core for the same readings in publishes of the same batch size.
 */

/** Bytes of one reading's `data`, serialized (the issue's 100-byte readings). */
export const READING_BYTES = 100;
export const BATCH_SIZES = [1, 10, 100] as const;

/** Prices of the sink and of IoT Core's rules, us-east-1 list (as given in the issue; not fetched). */
export const INGESTION_PRICES = {
  source: ['https://aws.amazon.com/kinesis/data-firehose/pricing/ (Direct PUT)', 'https://aws.amazon.com/iot-core/pricing/ (rules engine, Basic Ingest)'],
  /** Firehose Direct PUT: per GB ingested, each record rounded up to the next 5 KB. */
  firehosePerGb: 0.029,
  firehoseRecordUnitBytes: 5 * 1024,
  /** IoT Core rules engine: per million rules triggered, and per million actions applied. */
  iotRulePerMillionTriggers: 0.15,
  iotRulePerMillionActions: 0.15,
} as const;

/** The stream's records reach the sink Lambda in batches of this many (the event source mapping's BatchSize). */
export const SINK_BATCH_SIZE = 100;
/** Not measured here (the sink is another part of issue 16): what one sink invocation is assumed to take. */
export const SINK_ASSUMED_MS = 100;

export interface IngestionCase {
  batchSize: number;
  subscribers: number;
  /** Whether the readings are recorded (history and the sink on, the default) or not (both off: HISTORY_TTL_MS=0, no sink). */
  recorded: boolean;
  readings: number;
  frames: number;
  /** Deliveries the subscriber got (readings, when there is one; else 0). */
  delivered: number;
  /** Per million readings. */
  perMillion: {
    apiGatewayIn: number;
    apiGatewayOut: number;
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    dynamodbRequests: number;
    writeUnits: number;
    readUnits: number;
    sinkRecords: number;
    sinkInvocations: number;
  };
  byOperation: Record<string, number>;
  /** Mean in-process duration of one invocation (ms, this machine, DynamoDB Local). */
  lambdaMeanMs: number;
  costPerMillion: { apiGateway: number; lambda: number; dynamodb: number; sink: number; total: number };
  iotCore: { standard: number; basicIngest: number | null };
}

export interface IngestionBenchResult {
  readingBytes: number;
  /** Bytes of one sink record (the JSON line of PROTOCOL §11 for a reading). */
  sinkRecordBytes: number;
  cases: IngestionCase[];
  prices: typeof INGESTION_PRICES;
  notes: string[];
}

const r4 = (n: number) => Math.round(n * 10_000) / 10_000;
const API_GATEWAY_UNIT = 32 * 1024;
const GB = 2 ** 30;

/** A reading whose `data` serializes to exactly READING_BYTES. */
export function readingData(seq: number): Record<string, unknown> {
  const base = { sensor: `s-${String(seq % 1000).padStart(4, '0')}`, t: 1_764_547_200_000 + seq, v: Math.round((20 + (seq % 100) / 10) * 100) / 100, pad: '' };
  const bytes = Buffer.byteLength(JSON.stringify(base));
  return { ...base, pad: 'x'.repeat(Math.max(0, READING_BYTES - bytes)) };
}

/** The sink record of a reading (PROTOCOL §11), as the sink writes it: its bytes are what Firehose bills. */
function sinkRecordBytes(): number {
  const record = { controller: 'monitor', topic: 'site-1/s0', data: readingData(0), qos: 1, clientId: 'dev-0001', receivedAt: 1_764_547_200_000, messageId: 'dev-0001:c-abcdef-1:99' };
  return Buffer.byteLength(`${JSON.stringify(record)}\n`);
}

/** Counts what API Gateway would bill for outbound posts: each post metered in 32 KB units. */
class CountingGateway {
  units = 0;
  readonly received = new Map<string, string[]>();
  async post(connectionId: string, frame: string): Promise<'ok'> {
    this.units += Math.max(1, Math.ceil(Buffer.byteLength(frame) / API_GATEWAY_UNIT));
    const list = this.received.get(connectionId) ?? [];
    list.push(frame);
    this.received.set(connectionId, list);
    return 'ok';
  }
  async disconnect(): Promise<'ok'> {
    return 'ok';
  }
  async isOpen(): Promise<boolean> {
    return true;
  }
  take(connectionId: string): Array<Record<string, unknown>> {
    const list = this.received.get(connectionId) ?? [];
    this.received.set(connectionId, []);
    return list.map((raw) => JSON.parse(raw) as Record<string, unknown>);
  }
}

/** IoT Core's $ per million readings sent in MQTT publishes of `batchSize` readings (a JSON array), QoS 1. */
export function iotCorePerMillionReadings(batchSize: number, subscribers: number, readingBytes = READING_BYTES): { standard: number; basicIngest: number | null } {
  const publishes = 1_000_000 / batchSize;
  const payload = batchSize * readingBytes + (batchSize - 1) + 2;
  const units = Math.max(1, Math.ceil(payload / IOT_CORE_PRICES.messageUnitBytes));
  // Each publish billed in 5 KB units; each delivery too, and each device PUBACK (1 unit).
  const messaging = (publishes * units + subscribers * publishes * (units + 1)) / 1_000_000 * IOT_CORE_PRICES.perMillionMessages;
  // One rule (SELECT * -> Firehose) per publish: a trigger and an action.
  const rules = (publishes / 1_000_000) * (INGESTION_PRICES.iotRulePerMillionTriggers + INGESTION_PRICES.iotRulePerMillionActions);
  // The rule's Firehose action puts one record per publish, billed in 5 KB units.
  const firehose = ((publishes * Math.ceil(payload / INGESTION_PRICES.firehoseRecordUnitBytes) * INGESTION_PRICES.firehoseRecordUnitBytes) / GB) * INGESTION_PRICES.firehosePerGb;
  return {
    standard: r4(messaging + rules + firehose),
    // Basic Ingest ($aws/rules/...) skips the messaging charge, but reaches rules only: no subscriber gets it.
    basicIngest: subscribers === 0 ? r4(rules + firehose) : null,
  };
}

type Handler = (event: WebSocketEvent) => Promise<WebSocketResult>;

/** Runs every case against a DynamoDB endpoint (fresh tables per case). */
export async function ingestionBench(endpoint: string, options: { readings?: number; log?: (line: string) => void } = {}): Promise<IngestionBenchResult> {
  const readings = options.readings ?? 2000;
  const log = options.log ?? (() => {});
  const recordBytes = sinkRecordBytes();
  const cases: IngestionCase[] = [];
  let run = 0;
  // What ingestion adds per reading: the same readings with history and the sink off, no subscriber.
  const variants = [
    ...[0, 1].flatMap((subscribers) => BATCH_SIZES.map((batchSize) => ({ subscribers, batchSize, recorded: true }))),
    ...BATCH_SIZES.map((batchSize) => ({ subscribers: 0, batchSize, recorded: false })),
  ];
  {
    for (const { subscribers, batchSize, recorded } of variants) {
      const metered = meteredDynamoDbClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      const doc = DynamoDBDocumentClient.from(metered.client, { marshallOptions: { removeUndefinedValues: true } });
      try {
        const names = prefixedTableNames(`bench-ingest-${process.pid}-${run++}`);
        await createTables(metered.client, names);
        const gateway = new CountingGateway();
        let ids = 0;
        const deps: AppDeps = withServerPublish({
          stores: createDynamoDbStores(doc, names, { resendShards: 1 }),
          gateway,
          clock: { now: () => Date.now() },
          // One bench publisher sends far more frames a second than a device may (bench/run.ts BENCH_POLICY).
          policy: { ...DEFAULT_POLICY, rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, ...(recorded ? { sinkEnabled: true } : { historyTtlMs: 0, sinkEnabled: false }) },
          controllers: sampleControllers,
          newId: () => `${Date.now().toString(36)}${String(++ids).padStart(8, '0')}`,
          log: silentLogger,
          // As the Lambda wiring has it: audiences past the inline page would go by page jobs (none here).
          fanout: { queue: new MemoryPageQueue(), claims: new MemoryPageClaimStore(), config: DEFAULT_FANOUT },
        });
        // One handler per route, each with its own connection cache, as separate Lambdas have.
        const routes: Record<'publish' | 'msgack' | 'subscribe', Handler> = {
          publish: createFrameHandler(deps, { publish }),
          msgack: createFrameHandler(deps, { msgack }),
          subscribe: createFrameHandler(deps, { subscribe }),
        };
        const connect = createConnectHandler(deps);
        const open = async (connectionId: string, query: Record<string, string>) => {
          const result = await connect({ requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId, connectedAt: Date.now() }, queryStringParameters: query, headers: {} });
          if (result.statusCode !== 200) throw new Error(`connect refused: ${result.statusCode} ${result.body ?? ''}`);
        };
        let invocations = 0;
        let billedMbMs = 0;
        let durationMs = 0;
        let inUnits = 0;
        const frame = async (route: keyof typeof routes, connectionId: string, body: object, measured = true) => {
          const text = JSON.stringify(body);
          const started = performance.now();
          await routes[route]({ requestContext: { routeKey: route, eventType: 'MESSAGE', connectionId, messageId: `m-${invocations}` }, body: text });
          const ms = performance.now() - started;
          if (!measured) return;
          invocations += 1;
          durationMs += ms;
          billedMbMs += Math.max(1, Math.ceil(ms)) * routeMemoryMb(route);
          inUnits += Math.max(1, Math.ceil(Buffer.byteLength(text) / API_GATEWAY_UNIT));
        };
        await open('dev-0001=', { qos: '1', clientId: 'dev-0001' });
        if (subscribers > 0) {
          await open('dash-1=', { qos: '1' });
          await frame('subscribe', 'dash-1=', { action: 'subscribe', controller: 'monitor', topic: 'site-1/#', qos: 1 }, false);
          gateway.take('dash-1=');
        }
        gateway.take('dev-0001=');
        // A warm-up frame (the containers' first: connection caches, SDK connections), not measured.
        await frame('publish', 'dev-0001=', { action: 'publish', qos: 1, id: 'warm', messages: [{ controller: 'monitor', topic: 'warm', data: readingData(0) }] }, false);
        gateway.take('dev-0001=');
        const before = snapshot(metered.counts);
        gateway.units = 0;
        let delivered = 0;
        let frames = 0;
        for (let start = 0; start < readings; start += batchSize) {
          const count = Math.min(batchSize, readings - start);
          const messages = Array.from({ length: count }, (_, i) => ({ controller: 'monitor', topic: `site-1/s${(start + i) % 10}`, data: readingData(start + i) }));
          const body = batchSize === 1 ? { action: 'publish', ...messages[0], qos: 1, id: `c-${start}` } : { action: 'publish', qos: 1, id: `c-${start}`, messages };
          await frame('publish', 'dev-0001=', body);
          frames += 1;
          const answer = gateway.take('dev-0001=');
          if (answer.length !== 1 || answer[0]?.type !== 'msgack') throw new Error(`frame c-${start} was answered ${JSON.stringify(answer)}`);
          if (subscribers > 0) {
            const got = gateway.take('dash-1=').filter((f) => f.type === 'message');
            delivered += got.length;
            const acked = got.map((m) => m.id as string);
            for (let i = 0; i < acked.length; i += 100) await frame('msgack', 'dash-1=', { action: 'msgack', ids: acked.slice(i, i + 100) });
          }
        }
        if (subscribers > 0 && delivered !== readings) throw new Error(`the subscriber got ${delivered} of ${readings} readings`);
        const used = diffCounts(metered.counts, before);
        const perM = (n: number) => r4((n / readings) * 1_000_000);
        const writeUnits = used.writeUnitsTable + used.writeUnitsIndex;
        const readUnits = used.readUnitsTable + used.readUnitsIndex + used.readUnitsUnreported;
        const gbSeconds = billedMbMs / 1024 / 1000;
        const sinkInvocations = Math.ceil(readings / SINK_BATCH_SIZE);
        const apiGateway = ((inUnits + gateway.units) / readings) * PRICES.apiGatewayPerMillionMessages;
        const lambda = (invocations / readings) * PRICES.lambdaPerMillionRequests + (gbSeconds / readings) * PRICES.lambdaPerGbSecond * 1_000_000;
        const dynamodb = (writeUnits / readings) * PRICES.dynamoDbPerMillionWriteUnits + (readUnits / readings) * PRICES.dynamoDbPerMillionReadUnits;
        const firehose = ((1_000_000 * Math.ceil(recordBytes / INGESTION_PRICES.firehoseRecordUnitBytes) * INGESTION_PRICES.firehoseRecordUnitBytes) / GB) * INGESTION_PRICES.firehosePerGb;
        const sinkLambdaPerM = 1_000_000 / SINK_BATCH_SIZE;
        const sink = recorded ? firehose + (sinkLambdaPerM / 1_000_000) * PRICES.lambdaPerMillionRequests + sinkLambdaPerM * (SINK_ASSUMED_MS / 1000) * PRICES.lambdaMemoryGb * PRICES.lambdaPerGbSecond : 0;
        const result: IngestionCase = {
          batchSize,
          subscribers,
          recorded,
          readings,
          frames,
          delivered,
          perMillion: {
            apiGatewayIn: perM(inUnits),
            apiGatewayOut: perM(gateway.units),
            lambdaInvocations: perM(invocations),
            lambdaGbSeconds: perM(gbSeconds),
            dynamodbRequests: perM(used.requests),
            writeUnits: perM(writeUnits),
            readUnits: perM(readUnits),
            sinkRecords: recorded ? 1_000_000 : 0,
            sinkInvocations: recorded ? perM(sinkInvocations) : 0,
          },
          byOperation: Object.fromEntries(Object.entries(used.byOperation).map(([op, n]) => [op, r4(n / frames)])),
          lambdaMeanMs: Math.round((durationMs / Math.max(1, invocations)) * 100) / 100,
          costPerMillion: { apiGateway: r4(apiGateway), lambda: r4(lambda), dynamodb: r4(dynamodb), sink: r4(sink), total: r4(apiGateway + lambda + dynamodb + sink) },
          iotCore: iotCorePerMillionReadings(batchSize, subscribers),
        };
        cases.push(result);
        log(`  ingestion: batch ${batchSize}, ${subscribers} subscriber(s), ${recorded ? 'recorded' : 'history and sink off'}: ${frames} frames, $${result.costPerMillion.total} per million readings (IoT Core $${result.iotCore.standard})`);
      } finally {
        metered.client.destroy();
      }
    }
  }
  return {
    readingBytes: READING_BYTES,
    sinkRecordBytes: recordBytes,
    cases,
    prices: INGESTION_PRICES,
    notes: [
      `Measured on the real publish and msgack handlers with the DynamoDB stores (DynamoDB Local), ${readings} readings a case, sequentially; durations are this machine's, billed per invocation rounded up to 1 ms at its function's memory (${(['publish', 'msgack'] as const).map((route) => `${route} ${routeMemoryMb(route)} MB`).join(', ')}).`,
      'Readings go to 10 topics (site-1/s0 .. s9) in turn; a batch reads each topic\'s audience once for all its messages (lambdas/app/shared-audience-reads.ts), so read units per reading fall at batch 100 (10 readings a topic) and not at 10 (one reading a topic).',
      'With a subscriber: one QoS 1 delivery per reading (a pending entry stored and deleted), and the subscriber acks each frame\'s deliveries in one msgack of up to 100 ids.',
      `Sink: one Firehose record per reading (${recordBytes} B, billed as 5 KB), one Sink invocation per ${SINK_BATCH_SIZE} stream records at an assumed ${SINK_ASSUMED_MS} ms (its duration is not measured here); reading the table's stream from Lambda is free. The history record (one write per reading, before its msgack) is in the DynamoDB columns; the rows marked "off" run the same readings with history off (HISTORY_TTL_MS=0) and no sink, which is what ingestion adds: compare their WRU and requests.`,
      'IoT Core: the same readings in MQTT publishes of the same batch size (a JSON array), QoS 1, each publish billed in 5 KB units, each delivery and device PUBACK too; one rule (trigger + Firehose action) per publish, its Firehose record billed in 5 KB units. Basic Ingest skips the messaging charge but reaches rules only (no subscriber). Connectivity is left out of both columns (per connected minute).',
    ],
  };
}

function snapshot(counts: DynamoDbCounts): DynamoDbCounts {
  return { ...counts, byOperation: { ...counts.byOperation } };
}

const usd = (n: number) => `$${n.toFixed(3)}`;
const num = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

export const INGESTION_HEADERS = [
  'batch',
  'subscribers',
  'history + sink',
  'APIGW msgs in / out',
  'Lambda inv',
  'Lambda GB-s',
  'WRU',
  'RRU',
  'APIGW $',
  'Lambda $',
  'DynamoDB $',
  'sink $',
  'qosgate $',
  'IoT Core $',
  'IoT Basic Ingest $',
];

/** The cases as table rows, per million readings (bench/report.ts puts them in docs/bench/README.md). */
export function ingestionTable(result: IngestionBenchResult): string[][] {
  return result.cases.map((c) => [
    String(c.batchSize),
    String(c.subscribers),
    c.recorded === false ? 'off' : 'on',
    `${num(c.perMillion.apiGatewayIn)} / ${num(c.perMillion.apiGatewayOut)}`,
    num(c.perMillion.lambdaInvocations),
    num(c.perMillion.lambdaGbSeconds),
    num(c.perMillion.writeUnits),
    num(c.perMillion.readUnits),
    usd(c.costPerMillion.apiGateway),
    usd(c.costPerMillion.lambda),
    usd(c.costPerMillion.dynamodb),
    usd(c.costPerMillion.sink),
    usd(c.costPerMillion.total),
    usd(c.iotCore.standard),
    c.iotCore.basicIngest === null ? 'n/a (rules only)' : usd(c.iotCore.basicIngest),
  ]);
}

/** The section's Markdown: its table and notes. */
export function ingestionMarkdown(result: IngestionBenchResult): string {
  return [markdownTable(INGESTION_HEADERS, ingestionTable(result)), '', ...result.notes.map((n) => `- ${n}`)].join('\n');
}

/** The heading bench/report.ts gives the section (REPORT_SECTIONS). */
export const INGESTION_SECTION = 'Ingestion cost per million readings, beside AWS IoT Core' as const;

/**
 * Puts the section into an existing docs/bench/README.md and results.json (a standalone run:
 * the full bench, which writes both whole, is not rerun for one case).
 */
export function writeIngestionResults(outDir: string, result: IngestionBenchResult, heading: string): void {
  const readmePath = join(outDir, 'README.md');
  const jsonPath = join(outDir, 'results.json');
  const section = `### ${heading}\n\n${ingestionMarkdown(result)}\n`;
  if (existsSync(readmePath)) {
    const readme = readFileSync(readmePath, 'utf8');
    const start = readme.indexOf(`### ${INGESTION_SECTION}`);
    let next: string;
    if (start >= 0) {
      const after = readme.slice(start + 4);
      const rest = after.search(/\n#{2,3} /);
      next = readme.slice(0, start) + section + (rest >= 0 ? after.slice(rest) : '');
    } else {
      // Before the notes (or at the end): after the other results.
      const notes = readme.indexOf('\n## Notes');
      next = notes >= 0 ? `${readme.slice(0, notes)}\n${section}${readme.slice(notes)}` : `${readme}\n${section}`;
    }
    writeFileSync(readmePath, next);
  }
  if (existsSync(jsonPath)) {
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(jsonPath, `${JSON.stringify({ ...report, ingestion: result }, null, 2)}\n`);
  }
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const quick = process.argv.includes('--quick');
  const readings = Number(arg('--readings') ?? (quick ? 200 : 2000));
  if (!Number.isInteger(readings) || readings < MAX_BATCH_MESSAGES) throw new Error(`--readings must be a whole number of at least ${MAX_BATCH_MESSAGES}`);
  const outDir = arg('--out') ?? 'docs/bench';
  const dynamodb = await startDynamoDbLocal();
  try {
    const result = await ingestionBench(dynamodb.endpoint, { readings, log: (line) => console.log(line) });
    const heading = `${INGESTION_SECTION}: QoS 1, ${READING_BYTES} B readings, per million readings (standalone run, ${new Date().toISOString()}, ${readings} readings a case)`;
    console.log(`\n### ${heading}\n\n${ingestionMarkdown(result)}\n`);
    writeIngestionResults(outDir, result, heading);
    console.log(`Wrote the section into ${outDir}/README.md and results.json (key "ingestion").`);
  } finally {
    await dynamodb.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
