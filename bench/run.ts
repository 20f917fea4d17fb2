/**
 * `npm run bench`: throughput, latency, cost per delivery and fan-out scale, measured on the
 * local runtime through real sockets (see docs/bench/README.md).
 *
 *   npm run bench                        the full run (sizes of the issue)
 *   npm run bench -- --quick             a short run; writes to a temporary folder unless --out
 *   npm run bench -- --subscribers 100 --messages 100 --window 4 --fanout 1,10,100,1000,10000
 *                    --sweep-entries 100000 --out docs/bench
 *
 * Processes: the runtime (gateway, handlers, DynamoDB client) runs in a child process
 * (bench/runtime-host.ts) so its memory is measured alone; DynamoDB Local is java, a child of
 * that one; the bench's WebSocket clients all run in this process.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';
import { CONTEXT_KEYS } from '../lib/config.js';
import { ceilingDeliveriesPerSecond, measureCeiling, type CeilingResult } from './ceiling.js';
import { coldStartTable, measureColdStarts, type ColdStartResult } from './cold-start.js';
import { connectedMonthCost, iotCorePerMillionDeliveries, IOT_CORE_PRICES, PRICES } from './cost.js';
import { startRuntimeHost } from './host.js';
import { LARGEST_INLINE_PAGE, LARGEST_PAGE_MESSAGES, largestPageRuns, measureBundledSizing, type BundledSizingResult } from './bundled-sizing.js';
import { sizingRows } from './lambda-sizing.js';
import { chartSvg, markdownTables, type BenchReport } from './report.js';
import { ACK_BATCH, ACK_WAVE, fanout, PAYLOAD_BYTES, runLabel, sweep, throughput, type FanoutResult, type SweepResult, type ThroughputResult } from './scenarios.js';
import { measureSdkFloor, sdkFloorTable, type SdkFloorResult } from './sdk-floor.js';
import { storedFanout, type StoredFanoutResult } from './stored-fanout.js';
import { targetsOf, type CostRow, type LocalThroughput } from './targets.js';
import { ingestionBench, type IngestionBenchResult } from './ingestion.js';
import { wildcardBench, type WildcardBenchResult } from './wildcards.js';

/** The policy every bench host runs with: the default, but a rate limit one publisher never reaches (see main). */
const BENCH_POLICY = { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000 };

/** Issue 13's sizes: the stored fan-out's audience, the local throughput's subscribers and windows. */
const STORED_FANOUT_TARGET = 100_000;
/** How much longer a CPU millisecond takes on Lambda at the functions' memory (bench/cost.ts). */
const fmtSlowdown = () => (PRICES.lambdaMbPerVcpu / (PRICES.lambdaMemoryGb * 1024)).toFixed(1);
/** Stored sessions of the bundled sizing pass: full fan-out pages, many of them, without the full case's seeding. */
const BUNDLED_SIZING_SESSIONS = 10_000;
const LOCAL_K = 10;
/** Publishes in flight for the local rate (as the issue measured it) and for its p50 target. */
const RATE_WINDOW = 50;
const LATENCY_WINDOW = 10;
const LOCAL_WINDOWS = [RATE_WINDOW, LATENCY_WINDOW];
/** Messages of the cost runs at the largest K (issue 13: "may use fewer messages"). */
const LARGE_K_MESSAGES = 3;

function ints(value: string, name: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} must be positive whole numbers, got "${value}"`);
  return list;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

function openFilesLimit(): string {
  try {
    return execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      subscribers: { type: 'string' },
      messages: { type: 'string' },
      window: { type: 'string' },
      fanout: { type: 'string' },
      'sweep-entries': { type: 'string' },
      'stored-fanout': { type: 'string' },
      'local-messages': { type: 'string' },
      'wildcard-filters': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      'npm run bench -- [--quick] [--subscribers K] [--messages M] [--window W] [--fanout 1,10,100,1000,10000] [--sweep-entries N] [--stored-fanout N] [--local-messages M] [--wildcard-filters N] [--out DIR]',
    );
    return;
  }
  const quick = values.quick ?? false;
  const k = ints(values.subscribers ?? (quick ? '10' : '100'), 'subscribers')[0] as number;
  const m = ints(values.messages ?? (quick ? '20' : '100'), 'messages')[0] as number;
  const window = ints(values.window ?? '4', 'window')[0] as number;
  const sizes = ints(values.fanout ?? (quick ? '1,10,100' : '1,10,100,1000,10000'), 'fanout');
  const sweepEntries = Number(values['sweep-entries'] ?? (quick ? '1000' : '100000'));
  const storedSessions = ints(values['stored-fanout'] ?? (quick ? '2000' : String(STORED_FANOUT_TARGET)), 'stored-fanout')[0] as number;
  const localMessages = ints(values['local-messages'] ?? (quick ? '40' : '300'), 'local-messages')[0] as number;
  const wildcardFilters = ints(values['wildcard-filters'] ?? (quick ? '100' : '1000'), 'wildcard-filters')[0] as number;
  const outDir = resolve(values.out ?? (quick ? join(tmpdir(), 'qosgate-bench-quick') : 'docs/bench'));
  const started = performance.now();
  const log = (line: string) => console.log(line);
  const largestK = Math.max(...sizes);
  const costKs = [...new Set([1, LOCAL_K, k, largestK])].sort((a, b) => a - b);

  log(
    `qosgate bench (${quick ? 'quick' : 'full'}): K=${k} M=${m} window=${window} fan-out ${sizes.join(',')} sweep ${sweepEntries} stored fan-out ${storedSessions} local M=${localMessages}; payload ${PAYLOAD_BYTES} B; open files limit ${openFilesLimit()}`,
  );
  // One bench publisher sends far more frames a second than the per-connection rate limit lets a
  // device (50/s, burst 100): the limiter would refuse publishes and the figures would measure it,
  // not delivery. Every host of the bench raises it; nothing else of the policy changes.
  const host = await startRuntimeHost({ [CONTEXT_KEYS.policy]: BENCH_POLICY });
  log(`runtime up at ${host.ready.url} (pid ${host.ready.pid}, DynamoDB Local pid ${host.ready.javaPid ?? '?'}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const functions = host.ready.functions;
  const throughputs: ThroughputResult[] = [];
  const byK = new Map<string, ThroughputResult>();
  const remember = (t: ThroughputResult) => {
    if (!byK.has(`${t.qos}/${t.subscribers}`)) byK.set(`${t.qos}/${t.subscribers}`, t);
    return t;
  };
  const localRuns: ThroughputResult[] = [];
  let fanouts: FanoutResult[] = [];
  let sweepResult: SweepResult | null = null;
  let ceiling: CeilingResult | null = null;
  let sdkFloor: SdkFloorResult | null = null;
  let stored: StoredFanoutResult | null = null;
  let wildcards: WildcardBenchResult | null = null;
  let ingestion: IngestionBenchResult | null = null;
  const durations: Array<Record<string, number[]>> = [];
  const notes: string[] = [];
  let memory: BenchReport['memory']['runtime'];
  const policy = DEFAULT_POLICY.maxInflight;
  try {
    // The ceiling first, on the idle store: what DynamoDB Local itself takes.
    ceiling = await measureCeiling(host.ready.dynamodbEndpoint, quick ? 5_000 : 20_000, quick ? [8] : [4, 8, 16]);
    log(`  DynamoDB Local ceiling: ${ceiling.itemWritesPerSecond} item writes/s (BatchWriteItem, ${ceiling.concurrency} in flight, ${ceiling.itemBytes} B items; ${ceiling.byConcurrency.map((c) => `${c.concurrency}: ${c.itemWritesPerSecond}/s`).join(', ')})`);
    // The SDK's own CPU per call, on the same idle machine: what bounds the runtime's one thread.
    sdkFloor = await measureSdkFloor(host.ready.dynamodbEndpoint, quick ? 1_000 : 20_000);
    log(`  SDK floor: ${sdkFloor.rows.map((r) => `${r.name}: ${r.cpuUsPerCall} µs`).join('; ')}`);
    for (const qos of [0, 1, 2] as const) throughputs.push(remember(await throughput(host, { qos, k, m, window, maxInflight: policy })));
    // Local throughput, 1 -> 10: the rate at the larger window, the latency at 10 in flight.
    for (const qos of [1, 2] as const) {
      for (const w of LOCAL_WINDOWS) {
        const run = await throughput(host, { qos, k: LOCAL_K, m: localMessages, window: w, maxInflight: policy });
        localRuns.push(run);
        if (w === LATENCY_WINDOW) remember(run);
        log(`  local QoS ${qos}, 1 -> ${LOCAL_K}, ${w} in flight: ${run.deliveriesPerSecond}/s, p50 ${run.latencyMs.p50} ms, ${run.perDelivery.writeItems} write items per delivery`);
      }
    }
    for (const costK of costKs.filter((x) => x < largestK && !byK.has(`1/${x}`))) {
      for (const qos of [1, 2] as const) remember(await throughput(host, { qos, k: costK, m, window, maxInflight: policy }));
    }
    // The sweep before the fan-out: its entries do not lie in the way of anything the fan-out
    // reads (other sessions), and the fan-out's connections stay open to the end.
    sweepResult = await sweep(host, sweepEntries, log);
    log(`  sweep over ${sweepResult.pendingEntries}: ${sweepResult.requests} requests, ${sweepResult.itemsRead} items read in ${sweepResult.sweepMs} ms`);
    const fanned = await fanout(host, sizes, (size) => (size >= 10_000 ? 1 : 3), log);
    fanouts = fanned.results;
    // The cost table's largest K on the fan-out's sockets (connecting 10,000 takes tens of seconds).
    if (!byK.has(`1/${largestK}`)) {
      for (const qos of [1, 2] as const) {
        const run = remember(await throughput(host, { qos, k: largestK, m: LARGE_K_MESSAGES, window: LARGE_K_MESSAGES, maxInflight: policy, pool: fanned.pool }));
        log(`  cost run QoS ${qos}, K=${run.subscribers}, M=${run.messages}: ${run.deliveries} deliveries, $${run.perDelivery.costPerMillion.total} per million`);
      }
    }
    // Wildcard filters (PROTOCOL §8): the stores driven directly, fresh tables on the same DynamoDB Local.
    wildcards = await wildcardBench(host.ready.dynamodbEndpoint, { filters: wildcardFilters, publishes: quick ? 3 : 20, log });
    // Ingestion (issue 16: batched publish, the sink): the handlers in-process, fresh tables on the same DynamoDB Local.
    ingestion = await ingestionBench(host.ready.dynamodbEndpoint, { readings: quick ? 100 : 2000, log });
  } finally {
    memory = (await host.snapshot()).memory;
    durations.push(await host.durations());
    await host.stop({ fast: true });
  }
  // What flow control costs: QoS 1 once more, on a runtime with the cap off (its own DynamoDB Local).
  const capOff = await startRuntimeHost({ [CONTEXT_KEYS.policy]: { ...BENCH_POLICY, maxInflight: 0 } });
  try {
    throughputs.push(await throughput(capOff, { qos: 1, k, m, window, maxInflight: 0 }));
  } finally {
    durations.push(await capOff.durations());
    await capOff.stop({ fast: true });
  }
  // The opt-in first-send layout (docs/architecture.md "Sparse first sends"): QoS 1 at the cost
  // table's K below the largest, on a runtime with firstSends: marker (its own DynamoDB Local).
  const markerRuns: ThroughputResult[] = [];
  const markerHost = await startRuntimeHost({ [CONTEXT_KEYS.policy]: BENCH_POLICY, [CONTEXT_KEYS.firstSends]: 'marker' });
  try {
    for (const costK of costKs.filter((x) => x < largestK)) {
      const run = await throughput(markerHost, { qos: 1, k: costK, m, window, maxInflight: policy, firstSends: 'marker' });
      markerRuns.push(run);
      log(`  first sends: marker, QoS 1, K=${costK}: ${run.perDelivery.writeUnits} WRU, ${run.perDelivery.dynamodbRequests} requests per delivery, $${run.perDelivery.costPerMillion.total} per million`);
    }
  } finally {
    durations.push(await markerHost.durations());
    await markerHost.stop({ fast: true });
  }
  throughputs.push(...markerRuns);
  // Fan-out beyond sockets: N sessions stored directly, a counting management endpoint for them.
  const storedHost = await startRuntimeHost({ [CONTEXT_KEYS.policy]: BENCH_POLICY }, { countingPrefix: 'benchstored' });
  try {
    stored = await storedFanout(storedHost, storedSessions, log);
    log(
      `  stored fan-out to ${stored.sessions}: ${stored.distinctPosted} posted, ${stored.pendingStored} pending stored in ${(stored.totalMs / 1000).toFixed(1)} s; longest invocation ${stored.longest ? `${stored.longest.durationMs} ms in ${stored.longest.functionId} (timeout ${stored.longest.timeoutSeconds} s)` : 'n/a'}`,
    );
  } catch (error) {
    notes.push(`The stored fan-out failed: ${error instanceof Error ? error.message : String(error)}`);
    log(`  stored fan-out failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    durations.push(await storedHost.durations());
    await storedHost.stop({ fast: true });
  }
  // Lambda sizing on the deploy bundles, each invocation in an execution environment of its own (bundled mode).
  let bundledSizing: BundledSizingResult | null = null;
  try {
    bundledSizing = await measureBundledSizing(
      {
        subscribers: k,
        messages: m,
        window,
        maxInflight: policy,
        ...largestPageRuns(quick, k),
        storedSessions: quick ? storedSessions : BUNDLED_SIZING_SESSIONS,
        policy: BENCH_POLICY,
      },
      log,
    );
    log(`  bundled sizing: ${bundledSizing.rows.filter((r) => r.invocations > 0).map((r) => (r.sweep ? `${r.functionId} longest pass ${r.sweep.passEstimateMs} ms of ${r.timeoutSeconds} s` : `${r.functionId} ${r.lambdaEstimateMs} ms of ${r.timeoutSeconds} s`)).join(', ')} (estimates on Lambda)`);
  } catch (error) {
    notes.push(`The bundled sizing pass failed: ${error instanceof Error ? error.message : String(error)}`);
    log(`  bundled sizing failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  // Cold starts last, on a machine no runtime loads any more: each bundle on Node 22, in fresh workers.
  let coldStart: ColdStartResult | null = null;
  try {
    coldStart = await measureColdStarts({ runs: quick ? 3 : 7 });
    log(`  cold start on Node ${coldStart.node.version}: ${coldStart.rows.map((r) => `${r.functionId} ${r.initMs} ms`).join(', ')} (empty bundle ${coldStart.baselineInitMs} ms)`);
  } catch (error) {
    notes.push(`The cold-start measurement failed: ${error instanceof Error ? error.message : String(error)}`);
    log(`  cold start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  for (const t of [...throughputs, ...localRuns]) {
    const name = `${runLabel(t, policy)}, K=${t.subscribers}, ${t.window} in flight`;
    log(`  ${name}: ${t.deliveries} deliveries, ${t.deliveriesPerSecond}/s, p50 ${t.latencyMs.p50} ms, p99 ${t.latencyMs.p99} ms, ${t.perDelivery.dynamodbRequests} DynamoDB requests per delivery`);
    if (t.missing > 0) notes.push(`${name}: ${t.missing} deliveries did not arrive within the run's timeout.`);
  }

  const costs: CostRow[] = [];
  for (const costK of costKs) {
    for (const qos of [1, 2] as const) {
      const t = byK.get(`${qos}/${costK}`);
      if (t) costs.push({ qos, k: t.subscribers, messages: t.messages, acks: t.acks, perDelivery: t.perDelivery, iotCore: qos === 1 ? iotCorePerMillionDeliveries(t.subscribers, t.payloadBytes) : null });
    }
  }
  for (const t of markerRuns) {
    costs.push({ qos: 1, k: t.subscribers, messages: t.messages, acks: t.acks, perDelivery: t.perDelivery, iotCore: iotCorePerMillionDeliveries(t.subscribers, t.payloadBytes), firstSends: 'marker' });
  }
  const local: LocalThroughput[] = [];
  for (const qos of [1, 2] as const) {
    const rate = localRuns.find((r) => r.qos === qos && r.window === RATE_WINDOW);
    const latency = localRuns.find((r) => r.qos === qos && r.window === LATENCY_WINDOW);
    if (!rate || !latency || !ceiling) continue;
    const ceilingPerSecond = ceilingDeliveriesPerSecond(ceiling, rate.perDelivery.writeItems);
    local.push({ qos, rate, latency, ceilingDeliveriesPerSecond: ceilingPerSecond, ratio: Math.round((rate.deliveriesPerSecond / ceilingPerSecond) * 1000) / 1000 });
  }
  const sizing = sizingRows(functions, durations);
  const targets = targetsOf({
    k100Qos1: throughputs.find((t) => t.qos === 1 && t.maxInflight === policy && t.firstSends === undefined),
    costs,
    ceiling,
    local,
    fanout: fanouts,
    storedFanout: stored,
    storedFanoutTarget: STORED_FANOUT_TARGET,
    sizing,
    bundledSizing,
    sweep: sweepResult,
    sdkFloor,
  });
  const month = connectedMonthCost();
  notes.push(
    'All processes share one 2-core machine (and, during this run, whatever else ran on it): the runtime (one Node process: gateway emulator + every handler), DynamoDB Local (java) and the bench clients. Times are this machine\'s, not AWS\'s.',
    `Every publish carries data of ${PAYLOAD_BYTES} bytes of JSON (issue 13 measures at 1 KB).`,
    `Subscribers ack QoS 1 (and the final QoS 2 msgack) in batches: one msgack with up to ${ACK_BATCH.maxIds} ids, sent at ${ACK_BATCH.maxIds} ids or ${ACK_BATCH.maxDelayMs} ms after the first unacked id. QoS 2 pubrec is one frame per message (the protocol has no batched pubrec). In the fan-out each subscriber holds its one message and acks it after the measurement, ${ACK_WAVE} subscribers at a time; in the cost runs at K=${largestK} (on the fan-out's sockets) each subscriber answers once every message is in, all its ids in one frame, ${ACK_WAVE} subscribers at a time.`,
    'Write and read units are DynamoDB Local\'s ConsumedCapacity (ReturnConsumedCapacity INDEXES set by the bench\'s middleware on every call), table and index apart; write items count each item a write request wrote (BatchWriteItem: its puts and deletes less the unprocessed). Read units also include what AWS bills and DynamoDB Local does not report: each key a GetItem or BatchGetItem does not find costs 0.5 (eventually consistent) or 1 (strongly consistent) read unit (the due markers\' check of entries already acked, the per-ack-frame read of an absent backlog flag).',
    `DynamoDB Local ceiling: ${ceiling ? `${ceiling.items} items of about ${ceiling.itemBytes} bytes written with BatchWriteItem (25 a request) at ${ceiling.byConcurrency.map((c) => c.concurrency).join(', ')} requests in flight into a scratch table, the best rate taken` : 'not measured'}; in deliveries/s it is that rate over the write items a delivery took in the run it is compared with.`,
    `IoT Core beside each QoS 1 row: $${IOT_CORE_PRICES.perMillionMessages.toFixed(2)} per million messages in ${IOT_CORE_PRICES.messageUnitBytes / 1024} KB units; billed the inbound publish, each outbound delivery and each device PUBACK; free the service's PUBACKs, PINGREQ, CONNACK, SUBACK; QoS 2 not offered. Connectivity is left out of both sides, as the issue's $2.01 (K=100) and $3.00 (K=1) leave it out: it is per connected minute, not per delivery (one device connected for a 30-day month: ${month.minutes.toLocaleString('en-US')} minutes, $${month.iotCore.toFixed(4)} at IoT Core's $${IOT_CORE_PRICES.perMillionConnectionMinutes} per million, $${month.apiGateway.toFixed(4)} at API Gateway's $${PRICES.apiGatewayPerMillionConnectionMinutes}).`,
    `Lambda cost assumes ${PRICES.lambdaMemoryGb * 1024} MB (the stack's setting), arm64. Duration is the assumption that matters: the total bills each invocation the runtime process's CPU time per invocation (gateway emulation included, I/O waits not) run at ${PRICES.lambdaMemoryGb * 1024} MB's share of a vCPU (Lambda's one vCPU at ${PRICES.lambdaMbPerVcpu} MB, so each CPU millisecond here is billed ${fmtSlowdown()} ms), rounded up to 1 ms; the figure in brackets bills the in-process wall-clock duration as it is, which here includes waiting behind hundreds of other handlers on one event loop and 2 cores at a full core's speed (on AWS each runs in its own container, at its memory's share of a vCPU). Cold starts are not included.`,
    `Stored fan-out: ${storedSessions.toLocaleString('en-US')} sessions stored in DynamoDB Local as connect and subscribe store them (one through the real stores, copies of its items for the rest, BatchWriteItem), on a runtime of its own whose functions post through a counting management endpoint (bench/counting-management-api.ts); nobody acks, so the pending entries stay and are counted (Scan). The time is publish to the last post counted.`,
    `What the cost targets leave for DynamoDB and Lambda: API Gateway bills every frame, so a QoS 1 publish to K subscribers is at least 1 publish in, 1 msgack out to the publisher and K deliveries out (the subscribers' batched msgacks besides): ${usd((2 + 100) / 100)} per million deliveries at K=100 and ${usd(3)} at K=1 before anything is stored. At K=100, <= $1.60 leaves <= $${(1.6 - 1.02).toFixed(2)} per million for DynamoDB and Lambda, i.e. under ${((1.6 - 1.02) / PRICES.dynamoDbPerMillionWriteUnits).toFixed(2)} write units per delivery (less than the 2.1 target); at K=1, <= $2.60 is below API Gateway's own share.`,
    'Not counted: SQS requests of a fan-out by page jobs (a few per page of recipients, $0.40 per million requests: about a cent per million deliveries at 200 recipients a page) and CloudWatch.',
    'Lambda sizing: every invocation\'s in-process wall-clock duration in all the source-mode runtimes of the run, by function: each includes every other invocation\'s turn on the runtime\'s one thread, so these are far above what a Lambda container would take. The sizing target is judged on the bundled pass instead (bench/bundled-sizing.ts): each invocation in an execution environment of its own, its CPU run at its memory\'s share of a vCPU.',
    'The sweep seeds entries due an hour later through DynamoDbPendingStore.putMany and runs sweepDue with the Resend function\'s own wiring (per shard a Query of the due markers and one of byDue); a first, unmeasured pass takes the due markers the earlier scenarios left (each page of first sends is checked once, at its ack timeout: due work, not idleness), then the measured pass is the idle sweep. DynamoDB Local reports 0 read units for a Query that matches nothing; AWS bills each Query at least its minimum read (0.5 eventually consistent, 1 strongly consistent), which the meter adds, so the idle sweep\'s read units are what AWS would bill: 1.5 per shard (the markers\' strongly consistent Query and the index\'s).',
  );
  if (coldStart) notes.push(`Cold start: ${coldStart.note}`);
  const report: BenchReport & { coldStart: ColdStartResult | null; sdkFloor: SdkFloorResult | null } = {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), openFilesLimit: openFilesLimit() },
    options: {
      subscribers: k,
      messages: m,
      window,
      fanout: sizes,
      sweepEntries,
      storedFanout: storedSessions,
      localMessages,
      wildcardFilters,
      payloadBytes: PAYLOAD_BYTES,
      ackBatch: ACK_BATCH,
      maxInflight: policy,
    },
    throughput: throughputs,
    ceiling,
    local,
    costs,
    fanout: fanouts,
    storedFanout: stored,
    wildcards,
    ingestion,
    sweep: sweepResult,
    sizing,
    bundledSizing,
    memory: {
      runtime: memory,
      note: 'VmHWM of the runtime host process (gateway emulator, handlers, SDK clients), read from /proc; the bench clients run in another process. DynamoDB Local (java) apart.',
    },
    prices: PRICES,
    iotCorePrices: IOT_CORE_PRICES,
    targets,
    coldStart,
    sdkFloor,
    notes,
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };

  mkdirSync(outDir, { recursive: true });
  const tables = [markdownTables(report), ...(sdkFloor ? [sdkFloorTable(sdkFloor)] : []), ...(coldStart ? [coldStartTable(coldStart)] : [])].join('\n\n');
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'chart.svg'), chartSvg(report));
  writeFileSync(join(outDir, 'README.md'), readme(report, tables));
  console.log(`\n${tables}\n`);
  console.log(`Prices: us-east-1 list, ${PRICES.asOf}. Took ${report.durationSeconds} s. Wrote ${relative(process.cwd(), outDir) || '.'}/{results.json,chart.svg,README.md}`);
}

function readme(report: BenchReport & { coldStart: ColdStartResult | null; sdkFloor: SdkFloorResult | null }, tables: string): string {
  return `# qosgate bench: latest figures

Generated by \`npm run bench\` on ${report.generatedAt} (${report.mode} run, ${report.durationSeconds} s):
Node ${report.machine.node}, ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGb} GiB.
Raw figures: [results.json](results.json). Chart: [chart.svg](chart.svg).

![bench chart](chart.svg)

## How to reproduce

\`\`\`sh
npm ci
npm run bench              # full run: K=100 × M=100 per QoS, local 1 -> 10, cost K=1..10,000, fan-out 1..10,000, 100,000 stored sessions, sweep over 100,000
npm run bench -- --quick   # a short run (written to a temporary folder unless --out DIR)
npm run bench -- --help    # sizes: --subscribers --messages --window --fanout --sweep-entries --stored-fanout --local-messages --wildcard-filters --out
npx tsx bench/wildcards.ts # the wildcard-filter cases alone, on a DynamoDB Local of their own
npx tsx bench/ingestion.ts # the ingestion cost cases alone (--quick: 200 readings a case), written into docs/bench
npx tsx bench/sdk-floor.ts # one SDK call's CPU on this machine (--calls N)
npx tsx bench/profile.ts   # where the runtime's CPU goes in the local QoS 1 case (--qos 2, --window 10, --fanout 10000; --keep DIR keeps the .cpuprofile)
\`\`\`

It needs Java 17+ (DynamoDB Local) and about ${Math.ceil(((report.memory.runtime.peakRssKb + (report.memory.runtime.javaPeakRssKb ?? 0)) / 1024 / 1024) * 2) / 2 + 0.5} GiB of memory; the 10,000-subscriber fan-out needs an open-files limit above 10,000 (\`ulimit -n\`; this run had ${report.machine.openFilesLimit}).

## What is measured, and how

- **Payload**: every publish carries \`data\` of ${report.options.payloadBytes} bytes of JSON (issue 13 measures at 1 KB).
- **Throughput and latency**: one publisher, K subscribers of one topic on the \`monitor\` controller (no method: publish goes to the topic's subscribers), M messages at each QoS with ${report.options.window} publishes in flight. A message is done when every subscriber has it and, at QoS 1 and 2, the publisher has its \`msgack\`. Latency is from the publish frame sent to each subscriber's first receipt (same process, same clock). Deliveries per second: K × M over the time from the first publish to the last receipt.
- **Local throughput against the ceiling**: first, on the idle DynamoDB Local of the same run, the ceiling: items of about 300 bytes written with BatchWriteItem (25 a request) at a few concurrencies, the best item writes/s. Then QoS 1 and QoS 2, one publisher to 10 subscribers, ${report.options.localMessages} messages, at 50 publishes in flight (the rate, compared with the ceiling turned into deliveries/s by the write items a delivery took in that run) and at 10 in flight (the p50 latency).
- **Cost table**: QoS 1 and 2 at K = 1, 10, 100 and the largest fan-out K (on the fan-out's sockets, 3 messages), all counted operations at the list prices below, and beside each QoS 1 row the price of the same traffic at AWS IoT Core (its list prices below: the inbound publish, each delivery and each device PUBACK billed, in 5 KB units).
- **Fan-out to real sockets**: one QoS 1 publish to K = ${report.options.fanout.join(', ')} subscribers, all real WebSocket connections, accumulated on one topic. *Stored and sent* is publish to the publisher's \`msgack\`; *last receipt* is publish to the last subscriber's receipt. Median of 3 runs (1 at 10,000).
- **Fan-out to stored sessions**: ${report.options.storedFanout.toLocaleString('en-US')} sessions written into DynamoDB Local as connect and subscribe store them (one session through the real stores, then copies of its items with BatchWriteItem), on a runtime of its own whose functions post through a counting management endpoint (\`bench/counting-management-api.ts\`, the local runtime's \`managementEndpoint\` option): it counts posts per connection id and answers 200. One QoS 1 publish; counted: distinct connections posted, pending entries stored (Scan), the longest single invocation during the case and its function's timeout, publish to the last post.
- **Wildcard filters**: one publish to \`site-7/boiler/temp\` (10 exact subscribers) through the Publish function's fan-out code (\`app/deliver.ts\`) on the DynamoDB stores, with no filters stored, then with ${(report.options.wildcardFilters ?? 1000).toLocaleString('en-US')} filters stored of which 10 match (spread over per-site anchors, then all at the controller's root anchor, the index's worst case), each filter with its own subscriber; QoS 0 (finding the audience: nothing stored) and QoS 1 (the whole publish). Requests and read units per publish from the same counting DynamoDBClient; time is the median publish on this machine (\`bench/wildcards.ts\`, also runnable alone: \`npx tsx bench/wildcards.ts\`).
- **Ingestion**: sensor readings of 100 B at QoS 1 in frames of 1, 10 and 100 (PROTOCOL §2 batched publish), with no subscriber and with one (\`site-1/#\`, acking each frame's deliveries in one msgack), through the real publish and msgack handlers in-process on the DynamoDB stores of the same DynamoDB Local (\`bench/ingestion.ts\`, also runnable alone): API Gateway messages in and out (32 KB units), Lambda invocations and GB-s from their measured duration, DynamoDB units from the counting client, per million readings; the sink (Firehose, 5 KB per record, and one sink invocation per 100 stream records) modelled; beside it AWS IoT Core for publishes of the same batch size, with a rule to Firehose, and Basic Ingest.
- **Lambda sizing**: every invocation's duration in the run, by function (route id), beside the function's timeout and memory from the synthesized template: in the one runtime process, so each includes the others' turns on its thread.
- **Lambda sizing from the deploy bundles**: a runtime in bundled mode (each function's deploy bundle in Node 22 execution environments, one invocation at a time each, as Lambda runs them) runs QoS 0, 1 and 2 at K subscribers, the largest inline page (QoS 0, 1 and 2 to ${LARGEST_INLINE_PAGE} subscribers, ${LARGEST_PAGE_MESSAGES} publishes one at a time; a quick run: twice its K) and one QoS 1 publish to ${BUNDLED_SIZING_SESSIONS.toLocaleString('en-US')} stored sessions (a quick run: its stored fan-out's size; counting endpoint), then one invocation of the resend sweep (as its rule invokes it, \`LocalRuntime.runSchedule\`) over that fan-out's entries, all unacked and due: every invocation's report from its environment (Lambda's REPORT line: duration, CPU, Max Memory Used), and the estimate on Lambda with the CPU run at the function's share of a vCPU (memory / 1,769 MB). The sizing target is judged on these (\`npx tsx bench/bundled-sizing.ts\` alone).
- **Per delivery**: counted in the runtime process over each run, acks included, divided by the deliveries: DynamoDB requests, consumed units and items written through a counting DynamoDBClient injected into every function (\`WiringOverrides.dynamodb\`), API Gateway messages in and out (32 KB units) through the gateway's frame hooks, Lambda invocations and their duration through the runtime's \`onInvocation\` hook. The resend schedule is off during the runs; after each QoS 1/2 throughput run, once the ack timeout has passed since its last publish, one sweep with the Resend function's wiring takes the run's due markers (each page of first sends is checked once, at its ack timeout) and its DynamoDB work is added to the run's (the fan-out rows leave it out). The idle sweep is measured on its own.
- **Sweep**: ${report.options.sweepEntries.toLocaleString('en-US')} pending entries due an hour later, one \`sweepDue\`: requests, items read (Query ScannedCount plus items fetched) and read units.
- **Cold start**: each deploy bundle (a bundled synth, as \`cdk synth\` makes them) started ${report.coldStart?.runs ?? 'a few'} times in a fresh Node 22 worker of the local runtime's bundled mode (\`npx tsx bench/cold-start.ts\` alone): its index.js and asset sizes, the asset deflated as a zip would hold it, and the median init from spawn to handler loaded, beside an empty bundle's.
- **CPU cores**: in the local throughput and fan-out tables, each process's CPU time over wall-clock time while the case was measured (first publish to last message done; fan-out: publish to last receipt): the runtime process (gateway and every function, one Node process), DynamoDB Local's java and the bench's clients (this process), from /proc and \`process.cpuUsage()\` (\`bench/process-cpu.ts\`). Where the runtime's CPU goes: \`npx tsx bench/profile.ts\` runs the local QoS 1 case on a runtime under V8's CPU profiler and sums its self time in that stretch by part (\`bench/cpu-profile.ts\`).
- **SDK floor**: on the idle machine before the cases, the CPU one AWS SDK v3 call takes on the caller's side (\`bench/sdk-floor.ts\`, also runnable alone: \`npx tsx bench/sdk-floor.ts\`): ${report.sdkFloor ? report.sdkFloor.calls.toLocaleString('en-US') : 'N'} calls a row, 16 in flight, this process's \`process.cpuUsage()\` with the server in another process (a no-op HTTP server in a child process for the management API, DynamoDB Local for PutItem): a plain node:http POST of a delivery's frame, PostToConnection through the functions' client and through the SDK's default one, and a DocumentClient PutItem. The local throughput and fan-out targets quote what the run's posts alone take at that cost: every post of the runtime goes through the real SDK client on its one Node thread, so that is a bound no code of qosgate's can beat here.
- **Memory**: peak resident set (VmHWM) of the runtime process; the bench's clients run in the parent process, DynamoDB Local is java.

## Prices (us-east-1 list prices, ${PRICES.asOf})

| item | price |
|---|---|
| API Gateway WebSocket messages (32 KB units) | $${PRICES.apiGatewayPerMillionMessages.toFixed(2)} per million |
| API Gateway WebSocket connection-minutes | $${PRICES.apiGatewayPerMillionConnectionMinutes.toFixed(2)} per million |
| Lambda arm64 duration | $${PRICES.lambdaPerGbSecond} per GB-second (at ${PRICES.lambdaMemoryGb * 1024} MB, which runs at ${PRICES.lambdaMemoryGb * 1024}/${PRICES.lambdaMbPerVcpu} of a vCPU) |
| Lambda requests | $${PRICES.lambdaPerMillionRequests.toFixed(2)} per million |
| DynamoDB on-demand write request units | $${PRICES.dynamoDbPerMillionWriteUnits} per million |
| DynamoDB on-demand read request units | $${PRICES.dynamoDbPerMillionReadUnits} per million |
| AWS IoT Core messages (5 KB units), for comparison | $${IOT_CORE_PRICES.perMillionMessages.toFixed(2)} per million |
| AWS IoT Core connectivity, for comparison | $${IOT_CORE_PRICES.perMillionConnectionMinutes.toFixed(2)} per million connection-minutes |

Sources: ${PRICES.source.join(', ')}, ${IOT_CORE_PRICES.source}.

## Results

${tables}

## Notes

${report.notes.map((n) => `- ${n}`).join('\n')}
`;
}

main().then(
  // Sockets the server has not finished closing must not keep the bench waiting.
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
