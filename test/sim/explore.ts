import { formatResult, runSchedule, type ScheduleOptions, type ScheduleResult } from './schedule.js';

/** One kind of violation, where the explorer first found it and how often. */
export interface Finding {
  race: string;
  invariant: string;
  /** The kind of invocation that made the bad write. */
  via: string;
  firstSeed: number;
  /** Schedules run up to and including the first that found it. */
  schedulesNeeded: number;
  schedules: number;
}

export interface ExploreReport {
  schedules: number;
  failing: number;
  findings: Finding[];
  firstFailure?: ScheduleResult;
  ms: number;
}

/**
 * Runs `schedules` schedules with seeds baseSeed, baseSeed+1, ... and collects, per race and
 * invariant, the first seed that violated it.
 */
export async function explore(baseSeed: number, schedules: number, options: ScheduleOptions = {}): Promise<ExploreReport> {
  const started = performance.now();
  const findings = new Map<string, Finding>();
  let failing = 0;
  let firstFailure: ScheduleResult | undefined;
  for (let i = 0; i < schedules; i += 1) {
    const result = await runSchedule(baseSeed + i, options);
    if (result.violations.length === 0) continue;
    failing += 1;
    firstFailure ??= result;
    for (const kind of new Set(result.violations.map((v) => `${v.race}\u0000${v.invariant}\u0000${v.via ?? '?'}`))) {
      const [race, invariant, via] = kind.split('\u0000') as [string, string, string];
      const finding = findings.get(kind);
      if (finding) finding.schedules += 1;
      else findings.set(kind, { race, invariant, via, firstSeed: result.seed, schedulesNeeded: i + 1, schedules: 1 });
    }
  }
  const sorted = [...findings.values()].sort((a, b) => a.race.localeCompare(b.race) || a.firstSeed - b.firstSeed || a.invariant.localeCompare(b.invariant));
  return { schedules, failing, findings: sorted, ms: performance.now() - started, ...(firstFailure ? { firstFailure } : {}) };
}

export function formatReport(report: ExploreReport, baseSeed: number): string {
  const lines = [
    `${report.schedules} schedules from seed ${baseSeed} in ${(report.ms / 1000).toFixed(1)} s: ${report.failing} violated an invariant`,
    ...report.findings.map(
      (f) => `  [${f.race}] ${f.invariant} (by ${f.via}): first seed ${f.firstSeed} (after ${f.schedulesNeeded} schedules), in ${f.schedules} schedules`,
    ),
  ];
  return lines.join('\n');
}

function argument(args: string[], name: string): number | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got ${String(args[i + 1])}`);
  return value;
}

/**
 * `npm run explore -- --schedules 100000 [--base 1]`: a long run, with a summary per race.
 * `npm run explore -- --seed N [--focus s2]`: one schedule, its violations and its trace (all of
 * it, or the steps that concern one client).
 */
async function main(args: string[]): Promise<void> {
  const seed = argument(args, 'seed');
  const focusAt = args.indexOf('--focus');
  const focus = focusAt >= 0 ? args[focusAt + 1] : undefined;
  if (focusAt >= 0 && (focus === undefined || !/^[A-Za-z0-9]+$/.test(focus))) throw new Error('--focus needs a client name, e.g. --focus s2');
  if (seed !== undefined) {
    const result = await runSchedule(seed);
    console.log(formatResult(result, focus));
    process.exitCode = result.violations.length > 0 ? 1 : 0;
    return;
  }
  const base = argument(args, 'base') ?? 1;
  const schedules = argument(args, 'schedules') ?? 1000;
  const report = await explore(base, schedules);
  console.log(formatReport(report, base));
  if (report.firstFailure) console.log(`\nfirst failing schedule:\n${formatResult(report.firstFailure)}`);
  process.exitCode = report.failing > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  // `npm run explore | head` closes the pipe early: that is not an error of the run.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
}
