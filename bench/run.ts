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
import { PRICES } from './cost.js';
import { startRuntimeHost } from './host.js';
import { chartSvg, markdownTables, type BenchReport, type Target } from './report.js';
import { ACK_BATCH, ACK_WAVE, fanout, runLabel, sweep, throughput, type FanoutResult, type SweepResult, type ThroughputResult } from './scenarios.js';

function ints(value: string, name: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} must be positive whole numbers, got "${value}"`);
  return list;
}

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
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log('npm run bench -- [--quick] [--subscribers K] [--messages M] [--window W] [--fanout 1,10,100,1000,10000] [--sweep-entries N] [--out DIR]');
    return;
  }
  const quick = values.quick ?? false;
  const k = ints(values.subscribers ?? (quick ? '10' : '100'), 'subscribers')[0] as number;
  const m = ints(values.messages ?? (quick ? '20' : '100'), 'messages')[0] as number;
  const window = ints(values.window ?? '4', 'window')[0] as number;
  const sizes = ints(values.fanout ?? (quick ? '1,10,100' : '1,10,100,1000,10000'), 'fanout');
  const sweepEntries = Number(values['sweep-entries'] ?? (quick ? '1000' : '100000'));
  const outDir = resolve(values.out ?? (quick ? join(tmpdir(), 'qosgate-bench-quick') : 'docs/bench'));
  const started = performance.now();
  const log = (line: string) => console.log(line);

  log(`qosgate bench (${quick ? 'quick' : 'full'}): K=${k} M=${m} window=${window} fan-out ${sizes.join(',')} sweep ${sweepEntries}; open files limit ${openFilesLimit()}`);
  const host = await startRuntimeHost();
  log(`runtime up at ${host.ready.url} (pid ${host.ready.pid}, DynamoDB Local pid ${host.ready.javaPid ?? '?'}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const throughputs: ThroughputResult[] = [];
  let fanouts: FanoutResult[] = [];
  let sweepResult: SweepResult | null = null;
  const notes: string[] = [];
  let memory: BenchReport['memory']['runtime'];
  try {
    for (const qos of [0, 1, 2] as const) throughputs.push(await throughput(host, qos, k, m, window, DEFAULT_POLICY.maxInflight));
    // The sweep before the fan-out: its 100,000 entries do not lie in the way of anything the
    // fan-out reads (other sessions), and the fan-out's 10,000 connections stay open to the end.
    sweepResult = await sweep(host, sweepEntries, log);
    log(`  sweep over ${sweepResult.pendingEntries}: ${sweepResult.requests} requests, ${sweepResult.itemsRead} items read in ${sweepResult.sweepMs} ms`);
    fanouts = await fanout(host, sizes, (size) => (size >= 10_000 ? 1 : 3), log);
  } finally {
    memory = (await host.snapshot()).memory;
    await host.stop({ fast: true });
  }
  // What flow control costs: QoS 1 once more, on a runtime with the cap off (its own DynamoDB Local).
  const capOff = await startRuntimeHost({ [CONTEXT_KEYS.policy]: { maxInflight: 0 } });
  try {
    throughputs.push(await throughput(capOff, 1, k, m, window, 0));
  } finally {
    await capOff.stop({ fast: true });
  }
  for (const t of throughputs) {
    const name = runLabel(t, DEFAULT_POLICY.maxInflight);
    log(`  ${name}: ${t.deliveries} deliveries, ${t.deliveriesPerSecond}/s, p50 ${t.latencyMs.p50} ms, p99 ${t.latencyMs.p99} ms, ${t.perDelivery.dynamodbRequests} DynamoDB requests per delivery`);
    if (t.missing > 0) notes.push(`${name}: ${t.missing} deliveries did not arrive within the run's timeout.`);
  }

  const qos1 = throughputs.find((t) => t.qos === 1 && t.maxInflight === DEFAULT_POLICY.maxInflight);
  const qos1CapOff = throughputs.find((t) => t.qos === 1 && t.maxInflight === 0);
  const biggest = fanouts.find((f) => f.subscribers === 10_000);
  const targets: Target[] = [
    {
      name: 'write units per QoS 1 delivery (<= 1 KB)',
      target: '2.0 (one put, one delete)',
      measured: qos1 ? `${qos1.perDelivery.writeUnits} = ${qos1.perDelivery.writeUnitsTable} table + ${qos1.perDelivery.writeUnitsIndex} byDue index` : 'n/a',
      met: qos1 ? qos1.perDelivery.writeUnits <= 2.0 + 1e-9 : null,
      ...(qos1 && qos1.perDelivery.writeUnits > 2.0 + 1e-9 && qos1.perDelivery.writeUnitsTable <= 2.0 + 1e-9
        ? { note: 'met on the table; the KEYS_ONLY byDue index is billed one more unit for the put and one for the delete' }
        : {}),
    },
    {
      name: 'DynamoDB requests per QoS 1 delivery, K=100, batched acks',
      target: '<= 0.2',
      measured: qos1
        ? `${qos1.perDelivery.dynamodbRequests} at K=${qos1.subscribers} with flow control on (cap ${qos1.maxInflight}, the default)${qos1CapOff ? `; ${qos1CapOff.perDelivery.dynamodbRequests} with it off` : ''}`
        : 'n/a',
      met: qos1 && qos1.subscribers === 100 ? qos1.perDelivery.dynamodbRequests <= 0.2 : null,
      ...(qos1 && qos1.subscribers !== 100
        ? { note: 'the target is for K=100; this run used another K' }
        : {
            note: `flow control reads each recipient's session once per delivery (one Query) and once more per ack frame${
              qos1CapOff ? `; with maxInflight 0 the target is ${qos1CapOff.perDelivery.dynamodbRequests <= 0.2 ? 'met' : 'not met either'}` : ''
            }`,
          }),
    },
    {
      name: 'items read by a sweep when nothing is due',
      target: '0',
      measured: sweepResult ? `${sweepResult.itemsRead} of ${sweepResult.pendingEntries} pending` : 'n/a',
      met: sweepResult ? sweepResult.itemsRead === 0 : null,
    },
    {
      name: 'fan-out to 10,000 QoS 1 subscribers stored and sent',
      target: '< 5 s',
      measured: biggest ? `${(biggest.storedAndSentMs / 1000).toFixed(2)} s (last receipt ${(biggest.lastReceiptMs / 1000).toFixed(2)} s, ${biggest.connected} connected)` : 'n/a (not run)',
      met: biggest ? biggest.connected === 10_000 && biggest.storedAndSentMs < 5000 : null,
    },
  ];
  notes.push(
    'All processes share one 2-core machine (and, during this run, whatever else ran on it): the runtime (one Node process: gateway emulator + every handler), DynamoDB Local (java) and the bench clients. Times are this machine\'s, not AWS\'s.',
    'The local gateway handles one connection\'s frames one at a time, in order (a deliberate difference from API Gateway, which invokes concurrently): one publisher\'s publishes are served one after another, so latency includes waiting behind the other publishes in flight (window).',
    `Subscribers ack QoS 1 (and the final QoS 2 msgack) in batches: one msgack with up to ${ACK_BATCH.maxIds} ids, sent at ${ACK_BATCH.maxIds} ids or ${ACK_BATCH.maxDelayMs} ms after the first unacked id. QoS 2 pubrec is one frame per message (the protocol has no batched pubrec). In the fan-out each subscriber holds its one message and acks it after the measurement, ${ACK_WAVE} subscribers at a time.`,
    'Write and read units are DynamoDB Local\'s ConsumedCapacity (ReturnConsumedCapacity INDEXES set by the bench\'s middleware on every call), table and index apart; DynamoDB Local reported capacity on every metered request of this run unless a row says otherwise.',
    `Lambda cost assumes ${PRICES.lambdaMemoryGb * 1024} MB (the stack's setting), arm64. Duration is the assumption that matters: the total bills each invocation the runtime process's CPU time per invocation (gateway emulation included, I/O waits not), rounded up to 1 ms; the bound in brackets bills the in-process wall-clock duration, which here includes waiting behind hundreds of other handlers on one event loop and 2 cores (on AWS each runs in its own container). Cold starts are not included. Connection-minutes ($${PRICES.apiGatewayPerMillionConnectionMinutes} per million) depend on how long clients stay connected, not on deliveries, and are left out of the per-delivery cost: 10,000 devices connected all day are 14.4 million connection-minutes, $3.60 a day.`,
    'The sweep seeds entries due an hour later through DynamoDbPendingStore.putMany and runs sweepDue with the Resend function\'s own wiring (its RESEND_SHARDS byDue Queries). DynamoDB Local reports 0 read units for a Query that matches nothing; AWS bills each Query at least a minimum read unit, so a sweep with nothing due costs about one read unit per shard on AWS.',
  );
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), openFilesLimit: openFilesLimit() },
    options: { subscribers: k, messages: m, window, fanout: sizes, sweepEntries, ackBatch: ACK_BATCH, maxInflight: DEFAULT_POLICY.maxInflight },
    throughput: throughputs,
    fanout: fanouts,
    sweep: sweepResult,
    memory: {
      runtime: memory,
      note: 'VmHWM of the runtime host process (gateway emulator, handlers, SDK clients), read from /proc; the bench clients run in another process. DynamoDB Local (java) apart.',
    },
    prices: PRICES,
    targets,
    notes,
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };

  mkdirSync(outDir, { recursive: true });
  const tables = markdownTables(report);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'chart.svg'), chartSvg(report));
  writeFileSync(join(outDir, 'README.md'), readme(report, tables));
  console.log(`\n${tables}\n`);
  console.log(`Prices: us-east-1 list, ${PRICES.asOf}. Took ${report.durationSeconds} s. Wrote ${relative(process.cwd(), outDir) || '.'}/{results.json,chart.svg,README.md}`);
}

function readme(report: BenchReport, tables: string): string {
  return `# qosgate bench: latest figures

Generated by \`npm run bench\` on ${report.generatedAt} (${report.mode} run, ${report.durationSeconds} s):
Node ${report.machine.node}, ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGb} GiB.
Raw figures: [results.json](results.json). Chart: [chart.svg](chart.svg).

![bench chart](chart.svg)

## How to reproduce

\`\`\`sh
npm ci
npm run bench              # full run: K=100 subscribers × M=100 messages per QoS, fan-out 1..10,000, sweep over 100,000
npm run bench -- --quick   # a short run (written to a temporary folder unless --out DIR)
npm run bench -- --help    # sizes: --subscribers --messages --window --fanout --sweep-entries --out
\`\`\`

It needs Java 17+ (DynamoDB Local) and about ${Math.ceil(((report.memory.runtime.peakRssKb + (report.memory.runtime.javaPeakRssKb ?? 0)) / 1024 / 1024) * 2) / 2 + 0.5} GiB of memory; the 10,000-subscriber fan-out needs an open-files limit above 10,000 (\`ulimit -n\`; this run had ${report.machine.openFilesLimit}).

## What is measured, and how

- **Throughput and latency**: one publisher, K subscribers of one topic on the \`monitor\` controller (no method: publish goes to the topic's subscribers), M messages at each QoS with ${report.options.window} publishes in flight. A message is done when every subscriber has it and, at QoS 1 and 2, the publisher has its \`msgack\`. Latency is from the publish frame sent to each subscriber's first receipt (same process, same clock). Deliveries per second: K × M over the time from the first publish to the last receipt.
- **Fan-out**: one QoS 1 publish to K = ${report.options.fanout.join(', ')} subscribers, all real WebSocket connections, accumulated on one topic. *Stored and sent* is publish to the publisher's \`msgack\`, which the server sends only after every pending entry is stored and every send attempted (PROTOCOL §4); *last receipt* is publish to the last subscriber's receipt. Median of 3 runs (1 at 10,000).
- **Per delivery**: counted in the runtime process over each run, acks included, divided by the deliveries: DynamoDB requests and consumed units through a counting DynamoDBClient injected into every function (\`WiringOverrides.dynamodb\`), API Gateway messages in and out (32 KB units) through the gateway's frame hooks, Lambda invocations and their duration through the runtime's \`onInvocation\` hook. Cost per million deliveries from these at the list prices below. The resend schedule is off during the runs (nothing goes unacked long enough to be resent); the sweep is measured on its own.
- **Sweep**: ${report.options.sweepEntries.toLocaleString('en-US')} pending entries due an hour later, one \`sweepDue\`: requests, items read (Query ScannedCount plus items fetched) and read units.
- **Memory**: peak resident set (VmHWM) of the runtime process; the bench's clients run in the parent process, DynamoDB Local is java.

## Prices (us-east-1 list prices, ${PRICES.asOf})

| item | price |
|---|---|
| API Gateway WebSocket messages (32 KB units) | $${PRICES.apiGatewayPerMillionMessages.toFixed(2)} per million |
| API Gateway WebSocket connection-minutes | $${PRICES.apiGatewayPerMillionConnectionMinutes.toFixed(2)} per million |
| Lambda arm64 duration | $${PRICES.lambdaPerGbSecond} per GB-second (at ${PRICES.lambdaMemoryGb * 1024} MB) |
| Lambda requests | $${PRICES.lambdaPerMillionRequests.toFixed(2)} per million |
| DynamoDB on-demand write request units | $${PRICES.dynamoDbPerMillionWriteUnits} per million |
| DynamoDB on-demand read request units | $${PRICES.dynamoDbPerMillionReadUnits} per million |

Sources: ${PRICES.source.join(', ')}.

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
