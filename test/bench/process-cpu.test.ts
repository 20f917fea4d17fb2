import { describe, expect, it } from 'vitest';
import type { HostCounters } from '../../bench/host-protocol.js';
import { benchMark, cpuUse, procCpuMs } from '../../bench/process-cpu.js';

const counters = (cpuMs: number, javaCpuMs: number) => ({ cpuMs, javaCpuMs }) as HostCounters;

describe('process CPU (bench/process-cpu.ts)', () => {
  it('reads a process CPU time from /proc, which grows as it works, and nothing for a process that is not there', () => {
    const before = procCpuMs(process.pid) as number;
    expect(before).toBeGreaterThanOrEqual(0);
    const until = performance.now() + 150;
    let spin = 0;
    while (performance.now() < until) spin += 1;
    expect(spin).toBeGreaterThan(0);
    // 150 ms of spinning: at least a few ticks of 10 ms, and not more than the wall clock allows (2 cores).
    const used = (procCpuMs(process.pid) as number) - before;
    expect(used).toBeGreaterThanOrEqual(100);
    expect(used).toBeLessThan(2 * 150 + 200);
    expect(procCpuMs(2 ** 22 + 12345)).toBeUndefined();
  });

  it('turns two snapshots and two marks into cores per process', () => {
    const from = { host: { counters: counters(1000, 5000), at: 10_000, monotonicUs: 7_000_000 }, bench: { cpuMs: 200, at: 50 } };
    const to = { host: { counters: counters(1950, 5500), at: 11_000, monotonicUs: 8_000_000 }, bench: { cpuMs: 250, at: 1050 } };
    expect(cpuUse(from, to)).toEqual({ seconds: 1, runtimeCores: 0.95, dynamodbLocalCores: 0.5, benchCores: 0.05, hostWindowUs: [7_000_000, 8_000_000] });
    // No java measured (not Linux): null, not 0 cores.
    const noJava = cpuUse({ ...from, host: { ...from.host, counters: counters(1000, 0) } }, { ...to, host: { ...to.host, counters: counters(1950, 0) } });
    expect(noJava.dynamodbLocalCores).toBeNull();
  });

  it('marks this process with its CPU time and the time', () => {
    const mark = benchMark();
    expect(mark.cpuMs).toBeGreaterThan(0);
    expect(mark.at).toBeGreaterThan(0);
  });
});
