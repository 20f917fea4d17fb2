/**
 * Where a process's CPU went during a stretch of a run, from a V8 CPU profile (`node
 * --cpu-prof`, a `.cpuprofile` file): each sample's self time, inside the stretch, added up by
 * what its function belongs to. bench/profile.ts runs a bench case with the runtime host under
 * the profiler and prints this.
 */
import { round } from './stats.js';

/** The parts of a `.cpuprofile` this reads (Chrome DevTools' Profile object). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  /** µs on the process's monotonic clock (process.hrtime). */
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs from the previous sample (the first from startTime). */
  timeDeltas: number[];
}

/** What a function's self time is counted as, first match wins. */
const CATEGORIES: Array<[name: string, test: (url: string, fn: string) => boolean]> = [
  ['idle', (_u, fn) => fn === '(idle)'],
  ['garbage collector', (_u, fn) => fn === '(garbage collector)'],
  ['AWS SDK: signing (SigV4, hashes)', (u) => u.includes('@smithy/signature-v4') || u.startsWith('node:internal/crypto')],
  ['AWS SDK: the rest (middleware, serde, retry, endpoints)', (u) => /node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(u)],
  ['local IAM check (local/iam)', (u) => u.includes('/local/iam/')],
  ['bench meter (bench/)', (u) => u.includes('/bench/')],
  ['local gateway (local/gateway)', (u) => u.includes('/local/gateway/')],
  ['qosgate functions (lambdas/)', (u) => u.includes('/lambdas/')],
  ['ws (WebSocket library)', (u) => u.includes('node_modules/ws/')],
  ['Node HTTP, net, streams', (u) => /^node:(_http|http|net|internal\/streams|internal\/stream_base|stream|events|buffer|internal\/http)/.test(u)],
  ['socket writes (writev, write)', (u, fn) => u === '' && /^(writev|writeUtf8String|writeLatin1String|writeBuffer)$/.test(fn)],
  ['promises, microtasks, timers', (u, fn) => (u === '' && fn === 'runMicrotasks') || u.startsWith('node:internal/process/task_queues') || u.startsWith('node:internal/timers')],
  ['other', () => true],
];

export interface CpuBreakdown {
  /** Wall-clock ms of the stretch the profile covers. */
  wallMs: number;
  /** Share of the stretch the thread was not idle. */
  busy: number;
  /** ms of self time by category, largest first, idle included. */
  byCategory: Array<{ category: string; ms: number; share: number }>;
}

/** Self time by category between `fromUs` and `toUs` (the process's monotonic clock, as the profile's). */
export function cpuBreakdown(profile: CpuProfile, fromUs: number, toUs: number): CpuBreakdown {
  const category = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, functionName } = node.callFrame;
    category.set(node.id, (CATEGORIES.find(([, test]) => test(url, functionName)) as [string, unknown])[0]);
  }
  const ms = new Map<string, number>();
  let at = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < fromUs || at > toUs) return;
    const name = category.get(id) ?? 'other';
    ms.set(name, (ms.get(name) ?? 0) + delta / 1000);
    total += delta / 1000;
  });
  const idle = ms.get('idle') ?? 0;
  return {
    wallMs: round(total),
    busy: total > 0 ? round(1 - idle / total, 3) : 0,
    byCategory: [...ms.entries()].sort((a, b) => b[1] - a[1]).map(([c, m]) => ({ category: c, ms: round(m), share: total > 0 ? round(m / total, 3) : 0 })),
  };
}
