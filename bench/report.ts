import type { CeilingResult } from './ceiling.js';
import { IOT_CORE_PRICES, PRICES, type PerDelivery } from './cost.js';
import type { MemorySample } from './host-protocol.js';
import { markdownTable } from './markdown-table.js';
import { BATCH_MARGIN_MS } from '../lambdas/app/resend-sweep.js';
import { MB_PER_VCPU, type BundledSizingResult } from './bundled-sizing.js';
import type { SizingRow } from './lambda-sizing.js';
import { runLabel, type FanoutResult, type SweepResult, type ThroughputResult } from './scenarios.js';
import type { StoredFanoutResult } from './stored-fanout.js';
import type { CpuUse } from './process-cpu.js';
import type { CostRow, LocalThroughput, Target } from './targets.js';
import { INGESTION_HEADERS, INGESTION_SECTION, ingestionTable, type IngestionBenchResult } from './ingestion.js';
import { wildcardTable, type WildcardBenchResult } from './wildcards.js';

export type { Target } from './targets.js';

/** The report's sections, in order: every one is in README.md and in what `npm run bench` prints. */
export const REPORT_SECTIONS = [
  'Targets',
  'Throughput and latency',
  'Local throughput against the DynamoDB Local ceiling',
  'Cost per million deliveries, beside AWS IoT Core',
  'Fan-out of one QoS 1 publish to real sockets',
  'Fan-out to stored sessions',
  'Wildcard filters',
  INGESTION_SECTION,
  'Lambda sizing',
  'Lambda sizing from the deploy bundles',
  'Per delivery, every run',
  'Resend sweep',
  'Peak memory of the local runtime',
] as const;

export interface BenchReport {
  generatedAt: string;
  mode: 'full' | 'quick';
  machine: { node: string; cpus: number; cpuModel: string; memoryGb: number; openFilesLimit: string };
  options: {
    subscribers: number;
    messages: number;
    window: number;
    fanout: number[];
    sweepEntries: number;
    storedFanout: number;
    localMessages: number;
    /** Filters stored in the wildcard cases (absent in reports from before issue 15). */
    wildcardFilters?: number;
    payloadBytes: number;
    ackBatch: { maxIds: number; maxDelayMs: number };
    maxInflight: number;
  };
  throughput: ThroughputResult[];
  ceiling: CeilingResult | null;
  local: LocalThroughput[];
  costs: CostRow[];
  fanout: FanoutResult[];
  storedFanout: StoredFanoutResult | null;
  /** PROTOCOL §8: a publish's cost with and without wildcard filters stored (bench/wildcards.ts). */
  wildcards?: WildcardBenchResult | null;
  /** Issue 16: cost per million readings at batch sizes 1, 10, 100, beside IoT Core (bench/ingestion.ts). */
  ingestion?: IngestionBenchResult | null;
  sweep: SweepResult | null;
  sizing: SizingRow[];
  /** The sizing pass on the deploy bundles in bundled mode (bench/bundled-sizing.ts; absent in old reports). */
  bundledSizing?: BundledSizingResult | null;
  memory: { runtime: MemorySample; note: string };
  prices: typeof PRICES;
  iotCorePrices: typeof IOT_CORE_PRICES;
  targets: Target[];
  notes: string[];
  durationSeconds: number;
}

// Trailing zeros go only after a decimal point: 17650 stays 17650, 2.50 becomes 2.5.
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') : 'n/a');
const usd = (n: number) => `$${n.toFixed(2)}`;

function costRow(label: string, p: PerDelivery): string[] {
  return [
    label,
    fmt(p.dynamodbRequests, 3),
    `${fmt(p.writeUnits, 2)} (${fmt(p.writeUnitsTable, 2)}+${fmt(p.writeUnitsIndex, 2)})`,
    fmt(p.readUnits, 3),
    fmt(p.apiGatewayMessagesIn, 3),
    fmt(p.apiGatewayMessagesOut, 3),
    fmt(p.lambdaInvocations, 3),
    `${fmt(p.lambdaCpuMs, 1)} / ${fmt(p.lambdaMeanMs, 0)}`,
    usd(p.costPerMillion.apiGateway),
    `${usd(p.costPerMillion.lambda)} (wall clock: ${usd(p.costPerMillion.lambdaWallClock)})`,
    usd(p.costPerMillion.dynamodb),
    usd(p.costPerMillion.total),
  ];
}

/** CPU columns: the cores each process kept busy while it was measured (bench/process-cpu.ts). */
const CPU_HEADERS = ['CPU cores: runtime', 'DynamoDB Local', 'bench clients'];
// Reports from before the CPU columns have no `cpu`.
const cpuCells = (c: CpuUse | undefined) => (c ? [fmt(c.runtimeCores, 2), c.dynamodbLocalCores === null ? 'n/a' : fmt(c.dynamodbLocalCores, 2), fmt(c.benchCores, 2)] : ['n/a', 'n/a', 'n/a']);
export const CPU_NOTE =
  'CPU cores: CPU time over wall-clock time of each process while it was measured (first publish to last message done; in the fan-out, publish to last receipt), from /proc and process.cpuUsage(). The runtime (gateway, every function in source mode, their SDK clients) is one Node process: its main thread gives at most 1 core (a little more with the garbage collector\'s and libuv\'s threads), so about 1 there means the runtime\'s one thread is what bounds the figure, not DynamoDB Local.';

const metText = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'NOT MET');

/** The report as Markdown tables: printed by `npm run bench` and written to docs/bench/README.md. */
export function markdownTables(report: BenchReport): string {
  const out: string[] = [];
  const o = report.options;
  const section = (name: (typeof REPORT_SECTIONS)[number], extra = '') => out.push(`### ${name}${extra}`, '');

  section('Targets', ' (issue 13)');
  out.push(markdownTable(['figure', 'target', 'measured', 'met / not met'], report.targets.map((t) => [t.name, t.target, t.measured + (t.note ? ` (${t.note})` : ''), metText(t.met)])));
  out.push('');

  section('Throughput and latency', `: one publisher, K = ${o.subscribers} subscribers, M = ${o.messages} messages of ${o.payloadBytes} B, ${o.window} in flight`);
  out.push(
    markdownTable(
      ['run', 'deliveries', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'dup', 'missing', 'ids per msgack', 'WRU', 'RRU', 'DynamoDB req'],
      report.throughput.map((t) => [
        runLabel(t, o.maxInflight),
        String(t.deliveries),
        String(t.deliveriesPerSecond),
        fmt(t.latencyMs.p50, 1),
        fmt(t.latencyMs.p99, 1),
        fmt(t.latencyMs.max, 1),
        String(t.duplicates),
        String(t.missing),
        t.ackFrames > 0 ? fmt(t.idsPerAck, 1) : '-',
        fmt(t.perDelivery.writeUnits, 3),
        fmt(t.perDelivery.readUnits, 3),
        fmt(t.perDelivery.dynamodbRequests, 3),
      ]),
    ),
  );
  out.push('');

  const c = report.ceiling;
  section('Local throughput against the DynamoDB Local ceiling', c ? `: ${c.itemWritesPerSecond} item writes/s (BatchWriteItem, ${c.concurrency} in flight, ${c.itemBytes} B items)` : ': not measured');
  if (c) {
    out.push(`Ceiling by requests in flight: ${c.byConcurrency.map((b) => `${b.concurrency}: ${b.itemWritesPerSecond}/s`).join(', ')}.`, '');
  }
  out.push(
    markdownTable(
      ['run', 'in flight', 'deliveries/s', 'p50 ms', 'p99 ms', 'write items per delivery', 'DynamoDB req per delivery', 'ceiling deliveries/s', 'ratio', ...CPU_HEADERS],
      report.local.flatMap((l) => [
        [`QoS ${l.qos}, 1 -> ${l.rate.subscribers}`, String(l.rate.window), String(l.rate.deliveriesPerSecond), fmt(l.rate.latencyMs.p50, 1), fmt(l.rate.latencyMs.p99, 1), fmt(l.rate.perDelivery.writeItems, 3), fmt(l.rate.perDelivery.dynamodbRequests, 3), String(l.ceilingDeliveriesPerSecond), `${fmt(l.ratio * 100, 0)}%`, ...cpuCells(l.rate.cpu)],
        [`QoS ${l.qos}, 1 -> ${l.latency.subscribers}`, String(l.latency.window), String(l.latency.deliveriesPerSecond), fmt(l.latency.latencyMs.p50, 1), fmt(l.latency.latencyMs.p99, 1), fmt(l.latency.perDelivery.writeItems, 3), fmt(l.latency.perDelivery.dynamodbRequests, 3), '', '', ...cpuCells(l.latency.cpu)],
      ]),
    ),
  );
  out.push('', CPU_NOTE, '');

  section('Cost per million deliveries, beside AWS IoT Core', `: ${o.payloadBytes} B payloads, counted operations at list prices`);
  out.push(
    markdownTable(
      ['QoS', 'K', 'first sends', 'messages', 'acks', 'WRU', 'RRU', 'DynamoDB req', 'APIGW $/M', 'Lambda $/M', 'DynamoDB $/M', 'qosgate $/M', 'IoT Core $/M', 'qosgate / IoT Core'],
      report.costs.map((r) => [
        String(r.qos),
        r.k.toLocaleString('en-US'),
        r.firstSends === 'marker' ? 'marker (opt-in)' : 'reference',
        String(r.messages),
        r.acks,
        fmt(r.perDelivery.writeUnits, 3),
        fmt(r.perDelivery.readUnits, 3),
        fmt(r.perDelivery.dynamodbRequests, 3),
        usd(r.perDelivery.costPerMillion.apiGateway),
        usd(r.perDelivery.costPerMillion.lambda),
        usd(r.perDelivery.costPerMillion.dynamodb),
        usd(r.perDelivery.costPerMillion.total),
        r.iotCore === null ? 'not offered' : usd(r.iotCore),
        r.iotCore === null ? '-' : `${fmt((r.perDelivery.costPerMillion.total / r.iotCore) * 100, 0)}%`,
      ]),
    ),
  );
  out.push(
    '',
    `IoT Core: $${report.iotCorePrices.perMillionMessages.toFixed(2)} per million messages in ${report.iotCorePrices.messageUnitBytes / 1024} KB units; billed the inbound publish, each delivery and each device PUBACK; free the service's PUBACKs, PINGREQ, CONNACK, SUBACK; QoS 2 not offered. Connectivity is in neither column (IoT Core $${report.iotCorePrices.perMillionConnectionMinutes} and API Gateway $${report.prices.apiGatewayPerMillionConnectionMinutes} per million connection-minutes): it is paid per connected minute, not per delivery.`,
  );
  out.push('');

  section('Fan-out of one QoS 1 publish to real sockets');
  out.push(
    markdownTable(
      ['K', 'connected', 'runs', 'stored+sent ms (publisher msgack)', 'last receipt ms', 'per delivery: DynamoDB req', 'Lambda inv', ...CPU_HEADERS],
      report.fanout.map((f) => [String(f.subscribers), String(f.connected), String(f.repetitions), fmt(f.storedAndSentMs, 1), fmt(f.lastReceiptMs, 1), fmt(f.perDelivery.dynamodbRequests, 3), fmt(f.perDelivery.lambdaInvocations, 3), ...cpuCells(f.cpu)]),
    ),
  );
  out.push('');

  const sf = report.storedFanout;
  section('Fan-out to stored sessions', sf ? `: one QoS 1 publish to ${sf.sessions.toLocaleString('en-US')} sessions in DynamoDB Local, a counting management endpoint for their sockets` : ': not run');
  if (sf) {
    out.push(
      markdownTable(
        ['sessions', 'distinct posted', 'posts', 'posted twice+', 'pending stored', 'all handed on', 'publisher msgack s', 'publish -> last post s', 'longest invocation', 'its timeout', 'invocations', 'seeding s'],
        [
          [
            String(sf.sessions),
            String(sf.distinctPosted),
            String(sf.posts),
            String(sf.postedMoreThanOnce),
            String(sf.pendingStored),
            sf.complete ? 'yes' : 'NO',
            sf.publishToAckMs === null ? 'none' : fmt(sf.publishToAckMs / 1000, 2),
            fmt(sf.totalMs / 1000, 2),
            sf.longest ? `${fmt(sf.longest.durationMs / 1000, 2)} s (${sf.longest.functionId})` : 'n/a',
            sf.longest ? `${sf.longest.timeoutSeconds} s` : 'n/a',
            Object.entries(sf.invocations).map(([id, n]) => `${n} ${id}`).join(', '),
            fmt(sf.seedSeconds, 1),
          ],
        ],
      ),
    );
    if (sf.publisherErrors.length > 0) out.push('', `The publisher got: ${sf.publisherErrors.join('; ')}`);
    out.push('');
  }

  const wc = report.wildcards;
  section('Wildcard filters', wc ? `: one publish to ${wc.topic} (10 exact subscribers) on the DynamoDB stores, per publish` : ': not run');
  if (wc) {
    out.push(markdownTable(['filters stored', 'QoS', 'recipients', 'DynamoDB requests', 'read units', 'write units', 'items returned', 'median ms', 'requests by operation'], wildcardTable(wc)));
    out.push('');
  }

  const ing = report.ingestion;
  section(INGESTION_SECTION, ing ? `: QoS 1, ${ing.readingBytes} B readings, batch sizes 1, 10, 100, per million readings` : ': not run');
  if (ing) {
    out.push(markdownTable(INGESTION_HEADERS, ingestionTable(ing)));
    out.push('', ...ing.notes.map((n) => `- ${n}`), '');
  }

  section('Lambda sizing', ': every invocation of the run by function (wall clock in the one runtime process: each includes the others\' turns on its thread)');
  out.push(
    markdownTable(
      ['function', 'invocations', 'mean ms', 'p99 ms', 'max ms', 'timeout s', 'memory MB', 'timeout > 2 x max'],
      report.sizing.map((r) => [r.functionId, String(r.invocations), fmt(r.meanMs, 1), fmt(r.p99Ms, 1), fmt(r.maxMs, 1), String(r.timeoutSeconds), String(r.memoryMb), metText(r.timeoutOverTwiceMax)]),
    ),
  );
  out.push('');

  const bs = report.bundledSizing;
  section('Lambda sizing from the deploy bundles', bs ? `: ${bs.cases.join('; ')}, in bundled mode (${bs.seconds} s)` : ': not run');
  if (bs) {
    out.push(
      markdownTable(
        ['function', 'invocations', 'p50 ms', 'max ms', 'max CPU ms', 'estimate on Lambda ms', 'sweep: longest pass ms (estimate)', 'Max Memory Used MB', 'memory MB', 'timeout s', 'timeout > 2 x estimate', 'memory fits'],
        bs.rows.map((r) => [
          r.functionId,
          String(r.invocations),
          fmt(r.p50Ms, 1),
          fmt(r.maxMs, 1),
          fmt(r.maxCpuMs, 1),
          fmt(r.lambdaEstimateMs, 1),
          r.sweep ? `${fmt(r.sweep.longestPassMs, 1)} (${fmt(r.sweep.passEstimateMs, 1)}), ${r.sweep.passes} passes` : '-',
          fmt(r.maxMemoryUsedMb, 0),
          String(r.memoryMb),
          String(r.timeoutSeconds),
          metText(r.timeoutOverTwiceEstimate),
          metText(r.memoryFits),
        ]),
      ),
    );
    out.push(
      '',
      `Each function's deploy bundle in Node 22 execution environments, one invocation at a time each, as Lambda runs them (the runtime's bundled mode, 4 environments a function at most); every invocation's report from its environment, as Lambda's REPORT line: the handler's duration (not its wait for a free environment), its CPU, the worker's peak resident set. The estimate runs the CPU at the function's share of a vCPU (memory / ${MB_PER_VCPU} MB, at most 1: Lambda's one vCPU at ${MB_PER_VCPU} MB) and keeps the rest of the wall clock as measured: wall - CPU + CPU / share, the largest over the invocations. Two cores serve every environment, DynamoDB Local and the clients here, so the waits are this machine's upper bounds; this machine's core is not Lambda's. The resend sweep sweeps for a window that fills most of its timeout by design, and takes a further pass only with twice its longest pass so far left (${BATCH_MARGIN_MS / 1000} s at least), so its verdict is its timeout over twice its longest pass (a batch of due entries: their promotion, claims, resends, a will's inline page), estimated as above with the invocation's CPU share of its passes' time (it sleeps between them).`,
      '',
    );
  }

  section('Per delivery, every run', ', and AWS cost per million deliveries');
  const rows = report.throughput.map((t) => costRow(`${runLabel(t, o.maxInflight)}, K=${t.subscribers}`, t.perDelivery));
  for (const l of report.local) for (const t of [l.rate, l.latency]) rows.push(costRow(`local QoS ${t.qos}, K=${t.subscribers}, ${t.window} in flight`, t.perDelivery));
  for (const r of report.costs) rows.push(costRow(`cost QoS ${r.qos}, K=${r.k}${r.firstSends ? `, first sends: ${r.firstSends}` : ''}`, r.perDelivery));
  for (const f of report.fanout) rows.push(costRow(`fan-out QoS 1, K=${f.subscribers}`, f.perDelivery));
  if (sf) rows.push(costRow(`stored fan-out QoS 1, K=${sf.sessions} (no acks)`, sf.perDelivery));
  out.push(
    markdownTable(['run', 'DynamoDB req', 'WRU (table+index)', 'RRU', 'APIGW in', 'APIGW out', 'Lambda inv', 'Lambda ms CPU / wall', 'APIGW $/M', 'Lambda $/M (wall-clock bound)', 'DynamoDB $/M', 'total $/M'], rows),
  );
  out.push('');
  if (report.sweep) {
    const s = report.sweep;
    section('Resend sweep', ` over ${s.pendingEntries} pending entries, none due`);
    out.push(
      markdownTable(
        ['entries', 'due', 'requests', 'items read', 'read units', 'sweep ms', 'seeding s'],
        [[String(s.pendingEntries), String(s.due), `${s.requests} (${Object.entries(s.byOperation).map(([k, v]) => `${v} ${k}`).join(', ')})`, String(s.itemsRead), fmt(s.readUnits, 2), fmt(s.sweepMs, 1), fmt(s.seedSeconds, 1)]],
      ),
    );
    out.push('');
  }
  const m = report.memory.runtime;
  section('Peak memory of the local runtime');
  out.push(
    markdownTable(
      ['process', 'peak RSS (VmHWM)', 'RSS at end'],
      [
        ['runtime (Node: gateway + handlers)', `${fmt(m.peakRssKb / 1024, 0)} MiB`, `${fmt(m.rssKb / 1024, 0)} MiB`],
        ['DynamoDB Local (java)', m.javaPeakRssKb !== undefined ? `${fmt(m.javaPeakRssKb / 1024, 0)} MiB` : 'n/a', m.javaRssKb !== undefined ? `${fmt(m.javaRssKb / 1024, 0)} MiB` : 'n/a'],
      ],
    ),
  );
  return out.join('\n');
}

/** A hand-written SVG: fan-out time by K (log scale), deliveries/s by QoS, cost per million by QoS. */
export function chartSvg(report: BenchReport): string {
  const W = 1200;
  const H = 440;
  const parts: string[] = [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = (x: number, y: number, s: string, attrs = '') => parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`);
  const rect = (x: number, y: number, w: number, h: number, fill: string) => parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}"/>`);
  const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, dash = '') => parts.push(`<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${stroke}" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`);
  const top = 70;
  const bottom = H - 60;
  const plotH = bottom - top;

  // Panel 1: fan-out, log10 ms.
  {
    const x0 = 60;
    const w = 420;
    text(x0, 40, 'Fan-out of one QoS 1 publish (ms, log scale)', 'font-weight="bold"');
    const values = report.fanout.flatMap((f) => [f.storedAndSentMs, f.lastReceiptMs]).filter((v) => v > 0);
    const maxLog = Math.ceil(Math.log10(Math.max(10_000, ...values)));
    const minLog = 0;
    const y = (v: number) => bottom - ((Math.log10(Math.max(1, v)) - minLog) / (maxLog - minLog)) * plotH;
    for (let e = minLog; e <= maxLog; e += 1) {
      line(x0, y(10 ** e), x0 + w, y(10 ** e), '#ddd');
      text(x0 - 8, y(10 ** e) + 4, e >= 3 ? `${10 ** (e - 3)} s` : `${10 ** e} ms`, 'text-anchor="end" font-size="11"');
    }
    line(x0, y(5000), x0 + w, y(5000), '#c00', '6 4');
    text(x0 + w, y(5000) - 4, 'target 5 s at K=10,000', 'text-anchor="end" font-size="11" fill="#c00"');
    const n = Math.max(1, report.fanout.length);
    const slot = w / n;
    report.fanout.forEach((f, i) => {
      const bx = x0 + i * slot + slot * 0.15;
      const bw = slot * 0.34;
      rect(bx, y(f.storedAndSentMs), bw, bottom - y(f.storedAndSentMs), '#3b6ea5');
      rect(bx + bw, y(f.lastReceiptMs), bw, bottom - y(f.lastReceiptMs), '#8fb3d9');
      text(bx + bw, y(Math.max(f.storedAndSentMs, f.lastReceiptMs)) - 5, fmt(f.storedAndSentMs, 0), 'text-anchor="middle" font-size="11"');
      text(bx + bw, bottom + 16, `K=${f.subscribers.toLocaleString('en-US')}`, 'text-anchor="middle" font-size="11"');
    });
    rect(x0, bottom + 30, 10, 10, '#3b6ea5');
    text(x0 + 14, bottom + 39, 'publish to msgack (stored + sent)', 'font-size="11"');
    rect(x0 + 230, bottom + 30, 10, 10, '#8fb3d9');
    text(x0 + 244, bottom + 39, 'publish to last receipt', 'font-size="11"');
  }

  // Panel 2: deliveries per second by QoS, with p50/p99 labels.
  {
    const x0 = 560;
    const w = 260;
    const o = report.options;
    text(x0 - 20, 40, `Deliveries/s, K=${o.subscribers}, M=${o.messages}`, 'font-weight="bold"');
    const max = Math.max(1, ...report.throughput.map((t) => t.deliveriesPerSecond)) * 1.15;
    const y = (v: number) => bottom - (v / max) * plotH;
    line(x0, bottom, x0 + w, bottom, '#999');
    const slot = w / Math.max(1, report.throughput.length);
    report.throughput.forEach((t, i) => {
      const bx = x0 + i * slot + slot * 0.2;
      const bw = slot * 0.6;
      rect(bx, y(t.deliveriesPerSecond), bw, bottom - y(t.deliveriesPerSecond), ['#6a9f58', '#d4a13a', '#b5523b'][t.qos] as string);
      text(bx + bw / 2, y(t.deliveriesPerSecond) - 20, `${t.deliveriesPerSecond}/s`, 'text-anchor="middle" font-size="12"');
      text(bx + bw / 2, y(t.deliveriesPerSecond) - 6, `p50 ${fmt(t.latencyMs.p50, 0)} / p99 ${fmt(t.latencyMs.p99, 0)} ms`, 'text-anchor="middle" font-size="9"');
      text(bx + bw / 2, bottom + 16, runLabel(t, o.maxInflight), 'text-anchor="middle" font-size="11"');
    });
  }

  // Panel 3: cost per million deliveries, stacked.
  {
    const x0 = 900;
    const w = 260;
    text(x0 - 20, 40, 'AWS $ per million deliveries', 'font-weight="bold"');
    const runs = report.throughput.map((t) => ({ label: runLabel(t, report.options.maxInflight), c: t.perDelivery.costPerMillion }));
    // IoT Core's price for the same traffic (QoS 1 at the throughput runs' K), as a dashed line.
    const iot = report.costs.find((r) => r.qos === 1 && r.k === report.options.subscribers)?.iotCore ?? null;
    const max = Math.max(0.01, iot ?? 0, ...runs.map((r) => r.c.total)) * 1.15;
    const y = (v: number) => (v / max) * plotH;
    line(x0, bottom, x0 + w, bottom, '#999');
    if (iot !== null) {
      line(x0, bottom - y(iot), x0 + w, bottom - y(iot), '#c00', '6 4');
      text(x0 + w, bottom - y(iot) - 4, `IoT Core QoS 1, K=${report.options.subscribers}: ${usd(iot)}`, 'text-anchor="end" font-size="11" fill="#c00"');
    }
    const slot = w / Math.max(1, runs.length);
    runs.forEach((r, i) => {
      const bx = x0 + i * slot + slot * 0.2;
      const bw = slot * 0.6;
      let base = bottom;
      for (const [key, color] of [['apiGateway', '#7b5ea7'], ['lambda', '#e08a2c'], ['dynamodb', '#2c7fb8']] as const) {
        const h = y(r.c[key]);
        rect(bx, base - h, bw, h, color);
        base -= h;
      }
      text(bx + bw / 2, base - 6, usd(r.c.total), 'text-anchor="middle" font-size="12"');
      text(bx + bw / 2, bottom + 16, r.label, 'text-anchor="middle" font-size="11"');
    });
    [['API Gateway', '#7b5ea7'], ['Lambda', '#e08a2c'], ['DynamoDB', '#2c7fb8']].forEach(([label, color], i) => {
      rect(x0 + i * 90, bottom + 30, 10, 10, color as string);
      text(x0 + i * 90 + 14, bottom + 39, label as string, 'font-size="11"');
    });
  }
  text(20, H - 6, `qosgate bench (${report.mode}), local runtime on ${report.machine.cpus} cores, ${report.generatedAt.slice(0, 10)}; prices us-east-1 list, ${PRICES.asOf}`, 'font-size="10" fill="#666"');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}
