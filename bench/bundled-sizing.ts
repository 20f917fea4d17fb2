/**
 * Lambda sizing from the deploy bundles (issue 13, "Lambda sizing from measurement"): the cases
 * that give each function its largest invocations run on a runtime in bundled mode, where each
 * function's bundle runs in Node 22 execution environments, one invocation at a time each, as
 * Lambda runs them. Each environment reports every invocation as Lambda's REPORT line does (its
 * duration in the environment, not the wait for a free one; its CPU; the worker's peak memory).
 *
 *   npx tsx bench/bundled-sizing.ts [--quick]      alone, on a runtime of its own (prints the table)
 *
 * Why not the main run's durations: there every function runs in the one runtime process, so an
 * invocation's wall clock includes every other invocation's turn on that thread (10,000
 * $disconnects at once take minutes each). Here that share is gone, but two cores still serve
 * every environment, DynamoDB Local and the clients, so a duration is an upper bound of this
 * machine's. Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), so the estimate of
 * what an invocation takes there runs its CPU at that share: wall - cpu + cpu / min(1, memory / 1769).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SweepStats } from '../lambdas/app/resend-sweep.js';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';
import { RESEND } from '../lambdas/routes.js';
import { readSweep } from '../lambdas/config.js';
import { CONTEXT_KEYS, DEFAULT_FANOUT_SETTINGS } from '../lib/config.js';
import type { InvocationReport } from '../local/lambda/protocol.js';
import { BenchSocket, type Frame } from './client.js';
import { PRICES } from './cost.js';
import { startRuntimeHost, type RuntimeHost } from './host.js';
import { throughput } from './scenarios.js';
import { percentile, round } from './stats.js';
import { storedFanout } from './stored-fanout.js';

/** Lambda's memory for one vCPU's worth of CPU (bench/cost.ts). */
export const MB_PER_VCPU = PRICES.lambdaMbPerVcpu;

export interface BundledSizingRow {
  functionId: string;
  invocations: number;
  p50Ms: number;
  /** The longest invocation in its environment on this machine. */
  maxMs: number;
  /** The most CPU one invocation took. */
  maxCpuMs: number;
  /** The largest estimate over the invocations of what one takes on Lambda at the function's memory. */
  lambdaEstimateMs: number;
  /** The worker's peak resident set (Lambda's Max Memory Used), the largest seen. */
  maxMemoryUsedMb: number;
  memoryMb: number;
  timeoutSeconds: number;
  timedOut: number;
  /**
   * A function that sweeps for a window (Resend) fills most of its timeout by design, so what
   * must fit twice over is its longest pass: it starts a further pass only with twice its
   * longest so far left (app/resend-sweep.ts timeForAnotherPass), so it is the first pass that
   * the timeout must hold twice. The pass's wall clock in the worker, and its estimate on Lambda
   * with the invocation's CPU share of its passes' time run at the memory's share of a vCPU.
   * Absent for every other function.
   */
  sweep?: { passes: number; longestPassMs: number; passEstimateMs: number };
  /**
   * No invocation timed out, and the timeout > 2 x the estimate (for a sweeping function: of its
   * longest pass): met; null when the function did not run.
   */
  timeoutOverTwiceEstimate: boolean | null;
  /** Max Memory Used below the function's memory: met; null when the function did not run. */
  memoryFits: boolean | null;
}

export interface BundledSizingResult {
  /** The cases run, in words. */
  cases: string[];
  rows: BundledSizingRow[];
  seconds: number;
}

/** What one invocation would take on Lambda at `memoryMb`: its CPU at that share of a vCPU, the rest (I/O, waits) as measured. */
export function lambdaEstimateMs(report: InvocationReport, memoryMb: number): number {
  if (report.timedOut || report.cpuMs === undefined) return report.durationMs;
  const share = Math.min(1, memoryMb / MB_PER_VCPU);
  return Math.max(0, report.durationMs - report.cpuMs) + report.cpuMs / share;
}

/** An invocation of a sweeping function: its report and the passes it says it made (its SweepStats). */
export interface SweepRun {
  report: InvocationReport;
  stats: Pick<SweepStats, 'batches' | 'batchMs' | 'longestBatchMs'>;
}

/**
 * What a sweep's longest pass would take on Lambda at `memoryMb`. Its CPU is not reported
 * apart, so the pass gets the invocation's: the sweep sleeps between passes, so nearly all of
 * the invocation's CPU falls in them, a share `cpu / passes' wall` of their time (at most all
 * of it; all of it for a timed-out run, whose CPU is unknown).
 */
export function passEstimateMs(run: SweepRun, memoryMb: number): number {
  const share = Math.min(1, memoryMb / MB_PER_VCPU);
  const cpuShare = run.report.cpuMs === undefined || run.stats.batchMs <= 0 ? 1 : Math.min(1, run.report.cpuMs / run.stats.batchMs);
  return run.stats.longestBatchMs * (1 - cpuShare + cpuShare / share);
}

/** Rows for every function of the template, from the reports of its invocations (and a sweeping function's passes). */
export function bundledSizingRows(
  functions: Record<string, { timeoutSeconds: number; memoryMb: number }>,
  reports: Record<string, InvocationReport[]>,
  sweeps: Record<string, SweepRun[]> = {},
): BundledSizingRow[] {
  return Object.keys(functions)
    .sort()
    .map((functionId) => {
      const { timeoutSeconds, memoryMb } = functions[functionId] as { timeoutSeconds: number; memoryMb: number };
      const list = reports[functionId] ?? [];
      const durations = list.map((r) => r.durationMs).sort((a, b) => a - b);
      const estimate = Math.max(0, ...list.map((r) => lambdaEstimateMs(r, memoryMb)));
      const memoryUsed = Math.max(0, ...list.map((r) => r.maxMemoryUsedMb ?? 0));
      const timedOut = list.filter((r) => r.timedOut).length;
      const ran = list.length > 0;
      const runs = sweeps[functionId] ?? [];
      const sweep =
        runs.length > 0
          ? {
              passes: runs.reduce((n, r) => n + r.stats.batches, 0),
              longestPassMs: round(Math.max(...runs.map((r) => r.stats.longestBatchMs))),
              passEstimateMs: round(Math.max(...runs.map((r) => passEstimateMs(r, memoryMb)))),
            }
          : undefined;
      const fits = timeoutSeconds * 1000 > 2 * (sweep ? sweep.passEstimateMs : estimate);
      return {
        functionId,
        invocations: list.length,
        p50Ms: ran ? round(percentile(durations, 50)) : NaN,
        maxMs: ran ? round(durations[durations.length - 1] as number) : NaN,
        maxCpuMs: ran ? round(Math.max(0, ...list.map((r) => r.cpuMs ?? 0))) : NaN,
        lambdaEstimateMs: ran ? round(estimate) : NaN,
        maxMemoryUsedMb: ran ? memoryUsed : NaN,
        memoryMb,
        timeoutSeconds,
        timedOut,
        ...(sweep ? { sweep } : {}),
        timeoutOverTwiceEstimate: ran ? timedOut === 0 && fits : null,
        memoryFits: ran ? memoryUsed < memoryMb : null,
      };
    });
}

/**
 * The largest page a route function hands on itself: the inline page (FANOUT_INLINE_PAGE_SIZE's
 * default). Larger audiences go on to FanoutPage, whose full pages the stored fan-out measures.
 * The pass runs it one publish at a time, a few times a QoS: a page's own cost, with no other
 * publish's invocations sharing the machine's two cores (the K-subscriber runs have those).
 */
export const LARGEST_INLINE_PAGE = DEFAULT_FANOUT_SETTINGS.inlinePageSize;
export const LARGEST_PAGE_MESSAGES = 10;

/** The largest-page runs' audience and messages: LARGEST_INLINE_PAGE, or in a quick run twice its K (at most that page) and 3 messages. */
export function largestPageRuns(quick: boolean, k: number): Pick<BundledSizingOptions, 'pageSubscribers' | 'pageMessages'> {
  return quick ? { pageSubscribers: Math.min(2 * k, LARGEST_INLINE_PAGE), pageMessages: 3 } : { pageSubscribers: LARGEST_INLINE_PAGE, pageMessages: LARGEST_PAGE_MESSAGES };
}

export interface BundledSizingOptions {
  /** Subscribers and messages of the QoS 0, 1 and 2 runs (the main run's K and M), `window` publishes in flight. */
  subscribers: number;
  messages: number;
  window: number;
  maxInflight: number;
  /** The audience of the largest-page runs (LARGEST_INLINE_PAGE; a quick run's smaller), one publish at a time. */
  pageSubscribers: number;
  pageMessages: number;
  /** Sessions of the stored fan-out (counting endpoint): enough for full fan-out pages. */
  storedSessions: number;
  /** The policy every host of the bench runs with. */
  policy: Record<string, unknown>;
}

/**
 * Runs the cases on a bundled runtime and returns the table. The cases: QoS 0, 1 and 2 at K
 * subscribers (Connect, Subscribe, Publish, Msgack, Pubrec, Pubrel, Disconnect; the Sink on their
 * history), and one QoS 1 publish to stored sessions through the counting endpoint (Publish's
 * hand-on to the queue and FanoutPage's full pages).
 */
export async function measureBundledSizing(options: BundledSizingOptions, log: (line: string) => void): Promise<BundledSizingResult> {
  const started = performance.now();
  const host = await startRuntimeHost({ [CONTEXT_KEYS.policy]: options.policy }, { bundled: true, countingPrefix: 'benchsizing' });
  const cases: string[] = [];
  try {
    log(`  bundled sizing: runtime up (bundled mode) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const qos of [0, 1, 2] as const) {
      const run = await throughput(host, { qos, k: options.subscribers, m: options.messages, window: options.window, maxInflight: options.maxInflight });
      log(`  bundled sizing: QoS ${qos}, K=${options.subscribers}, M=${options.messages}: ${run.deliveries} deliveries, ${run.missing} missing`);
    }
    cases.push(`QoS 0, 1 and 2, one publisher to ${options.subscribers} subscribers, ${options.messages} messages each, ${options.window} in flight`);
    for (const qos of [0, 1, 2] as const) {
      const run = await throughput(host, { qos, k: options.pageSubscribers, m: options.pageMessages, window: 1, maxInflight: options.maxInflight });
      log(`  bundled sizing: largest inline page, QoS ${qos}, K=${options.pageSubscribers}, M=${options.pageMessages}, 1 in flight: ${run.deliveries} deliveries, ${run.missing} missing`);
    }
    cases.push(`the largest inline page: QoS 0, 1 and 2 to ${options.pageSubscribers} subscribers, ${options.pageMessages} messages each, 1 in flight`);
    await everyOtherRoute(host.ready.url);
    cases.push('a persistent client sending every other frame route once (will, ping, unsubscribe, history, resume, a text frame, disconnect)');
    const stored = await storedFanout(host, options.storedSessions, log, { quietMs: 60_000, totalMs: 10 * 60_000 });
    log(`  bundled sizing: one QoS 1 publish to ${options.storedSessions} stored sessions: ${stored.distinctPosted} posted`);
    cases.push(`one QoS 1 publish to ${options.storedSessions} stored sessions (counting endpoint)`);
    await host.settle(1000, 120_000);
    const sweeps = { [RESEND.id]: [await sweepTheBacklog(host, options.storedSessions, log)] };
    cases.push(`one invocation of the resend sweep over that fan-out's unacked entries, due (${options.storedSessions} in batches of ${DEFAULT_SWEEP_BATCH})`);
    const rows = bundledSizingRows(host.ready.functions, await host.reports(), sweeps);
    return { cases, rows, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    await host.stop({ fast: true });
  }
}

/** The sweep's batch (SWEEP_BATCH_SIZE's default, lambdas/config.ts). */
const DEFAULT_SWEEP_BATCH = readSweep({}).batchSize;

/**
 * Runs the resend sweep's function once, as its rule does, over the stored fan-out's entries
 * (nobody acks them: the counting endpoint answers every post), once they are all past their
 * ack timeout: every entry due at once, the largest backlog a pass meets. Returns its report and
 * the passes it made, as the sizing row needs them.
 */
async function sweepTheBacklog(host: RuntimeHost, entries: number, log: (line: string) => void): Promise<SweepRun> {
  await new Promise((r) => setTimeout(r, DEFAULT_POLICY.ackTimeoutMs));
  const before = (await host.reports())[RESEND.id]?.length ?? 0;
  const stats = (await host.runSchedule(RESEND.id)) as SweepStats;
  const report = (await host.reports())[RESEND.id]?.[before];
  if (!report) throw new Error('bundled sizing: the resend sweep ran but its environment sent no report');
  log(
    `  bundled sizing: resend sweep over ${entries} unacked entries: ${stats.due} due, ${stats.resent} resent in ${stats.batches} passes (longest ${round(stats.longestBatchMs)} ms), ${round(report.durationMs)} ms`,
  );
  return { report, stats };
}

/** The routes the cases above leave out, once each, so every function of the route table has a report. */
async function everyOtherRoute(url: string): Promise<void> {
  const client = await BenchSocket.connect(url, { qos: '1', clientId: `bench-sizing-${Date.now()}`, session: 'persistent', controllers: 'monitor' });
  try {
    const answered = (type: string) => (f: Frame) => f.type === type || f.type === 'error';
    const expect = async (frame: object, type: string) => {
      const answer = await client.request(frame, answered(type));
      if (answer.type === 'error') throw new Error(`bundled sizing: ${JSON.stringify(frame)} was refused: ${JSON.stringify(answer)}`);
    };
    await expect({ action: 'will', controller: 'monitor', topic: 'status/bench', data: 'offline', qos: 1 }, 'willack');
    await expect({ action: 'ping' }, 'pong');
    await expect({ action: 'subscribe', controller: 'monitor', topic: 'sizing', qos: 1 }, 'suback');
    await expect({ action: 'unsubscribe', controller: 'monitor', topic: 'sizing' }, 'unsuback');
    await expect({ action: 'history', controller: 'monitor', topic: 'sizing', limit: 10 }, 'history');
    // Resume answers nothing when nothing is pending; a ping after it shows it was handled (a connection's frames may run concurrently, so it waits for its turn).
    client.send({ action: 'resume' });
    // A text frame goes to $default (PROTOCOL §6): a QoS 0 publish, no answer either.
    client.socket.send('monitor|sizing|1');
    await new Promise((r) => setTimeout(r, 1000));
    await expect({ action: 'ping' }, 'pong');
    await new Promise<void>((resolve) => {
      client.socket.once('close', () => resolve());
      client.send({ action: 'disconnect' });
    });
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
  const quick = values.quick === true;
  const k = quick ? 20 : 100;
  const result = await measureBundledSizing(
    {
      subscribers: k,
      messages: quick ? 20 : 100,
      window: 4,
      maxInflight: DEFAULT_POLICY.maxInflight,
      ...largestPageRuns(quick, k),
      storedSessions: quick ? 1_000 : 10_000,
      policy: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000 },
    },
    (line) => console.log(line),
  );
  console.log(JSON.stringify(result, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
