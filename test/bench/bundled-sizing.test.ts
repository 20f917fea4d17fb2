import { describe, expect, it } from 'vitest';
import { bundledSizingRows, lambdaEstimateMs, MB_PER_VCPU, passEstimateMs } from '../../bench/bundled-sizing.js';
import { targetsOf } from '../../bench/targets.js';

/**
 * The sizing table of the bundled pass (bench/bundled-sizing.ts) from invocation reports: what
 * an invocation would take on Lambda at its memory, and the verdicts. The pass itself runs in the
 * bench smoke test (test/bench/bench-smoke.test.ts).
 */

describe('the estimate of an invocation on Lambda', () => {
  it('runs its CPU at the memory\'s share of a vCPU and keeps the rest of its wall clock', () => {
    // 256 MB: 256 / 1769 of a vCPU, so 100 ms of CPU take 691 ms; 50 ms of I/O stay 50 ms.
    expect(lambdaEstimateMs({ durationMs: 150, cpuMs: 100, maxMemoryUsedMb: 80 }, 256)).toBeCloseTo(50 + (100 * MB_PER_VCPU) / 256, 6);
  });

  it('never runs CPU faster than one vCPU: at 1,769 MB and above the wall clock is the estimate', () => {
    expect(lambdaEstimateMs({ durationMs: 150, cpuMs: 100 }, MB_PER_VCPU)).toBe(150);
    expect(lambdaEstimateMs({ durationMs: 150, cpuMs: 100 }, 4096)).toBe(150);
  });

  it('is the timeout for an invocation that timed out (its CPU is unknown: the worker was killed)', () => {
    expect(lambdaEstimateMs({ durationMs: 10_000, timedOut: true }, 256)).toBe(10_000);
  });
});

describe('the sizing rows', () => {
  const functions = { Publish: { timeoutSeconds: 10, memoryMb: 256 }, Msgack: { timeoutSeconds: 10, memoryMb: 256 }, Ping: { timeoutSeconds: 10, memoryMb: 256 } };

  it('give every function of the template a row: the longest and its estimate, peak memory, and the verdicts; null for one that did not run', () => {
    const rows = bundledSizingRows(functions, {
      Publish: [
        { durationMs: 300, cpuMs: 200, maxMemoryUsedMb: 90 },
        { durationMs: 100, cpuMs: 20, maxMemoryUsedMb: 95 },
      ],
      Msgack: [{ durationMs: 2000, cpuMs: 800, maxMemoryUsedMb: 300 }],
    });
    expect(rows.map((r) => r.functionId)).toEqual(['Msgack', 'Ping', 'Publish']);
    const [msgack, ping, publish] = rows;
    expect(publish).toMatchObject({ invocations: 2, p50Ms: 100, maxMs: 300, maxCpuMs: 200, maxMemoryUsedMb: 95, timedOut: 0, timeoutOverTwiceEstimate: true, memoryFits: true });
    expect(publish?.lambdaEstimateMs).toBeCloseTo(100 + (200 * MB_PER_VCPU) / 256, 1);
    // 1200 + 800 x 6.9 = 6,728 ms: over half the 10 s timeout; 300 MB of 256.
    expect(msgack).toMatchObject({ timeoutOverTwiceEstimate: false, memoryFits: false });
    expect(ping).toMatchObject({ invocations: 0, timeoutOverTwiceEstimate: null, memoryFits: null });
  });

  it('fail a function with a timed-out invocation, whatever its estimate', () => {
    const [row] = bundledSizingRows({ Slow: { timeoutSeconds: 30, memoryMb: 256 } }, { Slow: [{ durationMs: 1000, timedOut: true }] });
    expect(row).toMatchObject({ timedOut: 1, timeoutOverTwiceEstimate: false });
  });
});

describe('a sweeping function\'s row (the resend sweep)', () => {
  const resend = { Resend: { timeoutSeconds: 70, memoryMb: 256 } };
  // 55 s in the worker, 4 s of it passes, 2 s of it CPU: half of a pass's time is CPU.
  const run = { report: { durationMs: 55_000, cpuMs: 2000, maxMemoryUsedMb: 120 }, stats: { batches: 20, batchMs: 4000, longestBatchMs: 600 } };
  // A pass of 4 s: 15.8 s estimated, the closest to its timeout (22.6%) beside a 10 s function's 50 ms.
  const pass4 = { ...run, stats: { ...run.stats, longestBatchMs: 4000 } };

  it('estimates its longest pass with the invocation\'s CPU share of its passes\' time run at the memory\'s share of a vCPU', () => {
    expect(passEstimateMs(run, 256)).toBeCloseTo(600 * (0.5 + (0.5 * MB_PER_VCPU) / 256), 6);
    // CPU unknown (a timed-out run): all of the pass is taken as CPU, an upper bound.
    expect(passEstimateMs({ ...run, report: { durationMs: 70_000, timedOut: true } }, 256)).toBeCloseTo((600 * MB_PER_VCPU) / 256, 6);
  });

  it('is judged by its longest pass against its timeout, not by an invocation that fills its window', () => {
    const [row] = bundledSizingRows(resend, { Resend: [run.report] }, { Resend: [run] });
    // 55 s is over half the 70 s timeout, as every full window is; its longest pass, 2.37 s, is under half.
    expect(row).toMatchObject({ timeoutOverTwiceEstimate: true, memoryFits: true, sweep: { passes: 20, longestPassMs: 600 } });
    expect(row?.sweep?.passEstimateMs).toBeCloseTo(passEstimateMs(run, 256), 0);
    // A pass of 8 s here, 31.6 s estimated at 256 MB: 70 s holds it twice; one of 9.5 s, 37.6 s, not.
    const pass = (longestBatchMs: number) => ({ ...run, stats: { ...run.stats, longestBatchMs } });
    expect(bundledSizingRows(resend, { Resend: [run.report] }, { Resend: [pass(8000)] })[0]).toMatchObject({ timeoutOverTwiceEstimate: true });
    expect(bundledSizingRows(resend, { Resend: [run.report] }, { Resend: [pass(9500)] })[0]).toMatchObject({ timeoutOverTwiceEstimate: false });
  });

  it('names its pass in the target when it is the closest', () => {
    const rows = bundledSizingRows({ ...resend, Ping: { timeoutSeconds: 10, memoryMb: 256 } }, { Resend: [run.report], Ping: [{ durationMs: 20, cpuMs: 5, maxMemoryUsedMb: 80 }] }, { Resend: [pass4] });
    const target = targetsOf({ k100Qos1: undefined, costs: [], ceiling: null, local: [], fanout: [], storedFanout: null, storedFanoutTarget: 100_000, sweep: null, sizing: [], bundledSizing: { cases: ['a case'], rows, seconds: 1 } }).find((t) =>
      t.name.startsWith('Lambda sizing'),
    );
    expect(target?.met).toBe(true);
    expect(target?.measured).toBe('met by all 2 functions that ran; closest: Resend, longest pass 15.82 s of 70 s at 256 MB');
  });
});

describe('the sizing target', () => {
  const base = { k100Qos1: undefined, costs: [], ceiling: null, local: [], fanout: [], storedFanout: null, storedFanoutTarget: 100_000, sweep: null };
  const sizingTarget = (input: Parameters<typeof targetsOf>[0]) => targetsOf(input).find((t) => t.name.startsWith('Lambda sizing'));

  it('is judged on the bundled pass when the report has one, naming the closest function and those that did not run', () => {
    const rows = bundledSizingRows({ Publish: { timeoutSeconds: 10, memoryMb: 256 }, Resend: { timeoutSeconds: 70, memoryMb: 256 } }, { Publish: [{ durationMs: 300, cpuMs: 200, maxMemoryUsedMb: 90 }] });
    // The main run's figure would fail it: an invocation that waited behind thousands on one thread.
    const shared = [{ functionId: 'Publish', invocations: 1, meanMs: 60_000, p99Ms: 60_000, maxMs: 60_000, timeoutSeconds: 10, memoryMb: 256, timeoutOverTwiceMax: false }];
    const target = sizingTarget({ ...base, sizing: shared, bundledSizing: { cases: ['a case'], rows, seconds: 1 } });
    expect(target?.met).toBe(true);
    expect(target?.measured).toMatch(/^met by all 1 functions that ran; closest: Publish, 1\.48 s of 10 s at 256 MB; not run there: Resend$/);
  });

  it('says which function misses and why', () => {
    const rows = bundledSizingRows({ Msgack: { timeoutSeconds: 10, memoryMb: 256 } }, { Msgack: [{ durationMs: 2000, cpuMs: 800, maxMemoryUsedMb: 300 }] });
    const target = sizingTarget({ ...base, sizing: [], bundledSizing: { cases: ['a case'], rows, seconds: 1 } });
    expect(target?.met).toBe(false);
    expect(target?.measured).toMatch(/^not by Msgack \(estimate 6\.73 s, timeout 10 s, 300 of 256 MB\)/);
  });

  it('falls back to the main run\'s durations in a report without the bundled pass', () => {
    const shared = [{ functionId: 'Publish', invocations: 1, meanMs: 100, p99Ms: 100, maxMs: 100, timeoutSeconds: 10, memoryMb: 256, timeoutOverTwiceMax: true }];
    expect(sizingTarget({ ...base, sizing: shared })?.measured).toBe('met by all 1 functions that ran');
  });
});
