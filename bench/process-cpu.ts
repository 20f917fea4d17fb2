import { readFileSync } from 'node:fs';
import type { HostSnapshot } from './host-protocol.js';
import { round } from './stats.js';

/**
 * CPU time (user + system, ms) of a process from /proc/<pid>/stat: fields 14 and 15 (utime,
 * stime), in clock ticks of 1/100 s (USER_HZ, which is 100 on Linux for x86-64 and arm64).
 * Undefined where there is no /proc (not Linux) or the process is gone.
 */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * 10;
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cores each process kept busy over a stretch of a run: CPU time over wall-clock time. The
 * runtime (gateway, every handler, their SDK clients) is one Node process, so its main thread
 * can give at most 1 (a little more with the garbage collector's and libuv's helper threads).
 */
export interface CpuUse {
  /** Wall-clock seconds of the stretch. */
  seconds: number;
  runtimeCores: number;
  /** DynamoDB Local's java (null where /proc is not there). */
  dynamodbLocalCores: number | null;
  /** This process: the bench's WebSocket clients. */
  benchCores: number;
  /** The stretch on the host's monotonic clock (µs): where bench/profile.ts cuts the runtime's CPU profile. */
  hostWindowUs: [number, number];
}

/** What the parent measures of itself at each end of the stretch: process.cpuUsage() and the time. */
export interface BenchMark {
  cpuMs: number;
  at: number;
}

export function benchMark(): BenchMark {
  const cpu = process.cpuUsage();
  return { cpuMs: (cpu.user + cpu.system) / 1000, at: performance.now() };
}


/** The cores used between two host snapshots (their `at` is the host's clock) and two marks of this process. */
export function cpuUse(from: { host: Pick<HostSnapshot, 'counters' | 'at' | 'monotonicUs'>; bench: BenchMark }, to: { host: Pick<HostSnapshot, 'counters' | 'at' | 'monotonicUs'>; bench: BenchMark }): CpuUse {
  const hostMs = Math.max(1, to.host.at - from.host.at);
  const benchMs = Math.max(1, to.bench.at - from.bench.at);
  const java = to.host.counters.javaCpuMs - from.host.counters.javaCpuMs;
  return {
    seconds: round(hostMs / 1000, 2),
    runtimeCores: round((to.host.counters.cpuMs - from.host.counters.cpuMs) / hostMs, 2),
    dynamodbLocalCores: to.host.counters.javaCpuMs > 0 ? round(java / hostMs, 2) : null,
    benchCores: round((to.bench.cpuMs - from.bench.cpuMs) / benchMs, 2),
    hostWindowUs: [from.host.monotonicUs, to.host.monotonicUs],
  };
}
