import { percentile, round } from './stats.js';

/**
 * Lambda sizing from measurement (issue 13): per function, how often it ran in the bench and
 * how long its invocations took, beside its timeout. A timeout is justified when it exceeds
 * twice the longest invocation measured (its largest page, for a fan-out worker).
 */
export interface SizingRow {
  functionId: string;
  invocations: number;
  meanMs: number;
  p99Ms: number;
  maxMs: number;
  timeoutSeconds: number;
  memoryMb: number;
  /** timeout > 2 x max: met; null when the function did not run. */
  timeoutOverTwiceMax: boolean | null;
}

/** Rows for every function the template has (by id), from the durations of one or more runtime hosts. */
export function sizingRows(
  functions: Record<string, { timeoutSeconds: number; memoryMb: number }>,
  durations: Array<Record<string, number[]>>,
): SizingRow[] {
  const ids = new Set([...Object.keys(functions), ...durations.flatMap((d) => Object.keys(d))]);
  return [...ids].sort().map((functionId) => {
    const all = durations.flatMap((d) => d[functionId] ?? []).sort((a, b) => a - b);
    const fn = functions[functionId];
    const timeoutSeconds = fn?.timeoutSeconds ?? NaN;
    const maxMs = all.length > 0 ? (all[all.length - 1] as number) : NaN;
    return {
      functionId,
      invocations: all.length,
      meanMs: all.length > 0 ? round(all.reduce((a, b) => a + b, 0) / all.length) : NaN,
      p99Ms: round(percentile(all, 99)),
      maxMs: round(maxMs),
      timeoutSeconds,
      memoryMb: fn?.memoryMb ?? NaN,
      timeoutOverTwiceMax: all.length === 0 ? null : timeoutSeconds * 1000 > 2 * maxMs,
    };
  });
}

