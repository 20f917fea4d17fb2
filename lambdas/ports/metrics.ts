import type { Qos } from '../core/types.js';
import type { MetricName, QosMetricName } from '../telemetry/metric-names.js';

/**
 * Counters and latencies, injected like the Logger: Lambdas write CloudWatch EMF through
 * Powertools (adapters/powertools/powertools-metrics.ts), tests read them from memory, the
 * local runtime may drop them. Names come from telemetry/metric-names.ts, which the CDK
 * dashboard and alarms read too, so an emitted name and an alarmed name cannot drift.
 *
 * Values are buffered and written by {@link Metrics.flush}, which the function wrapper calls
 * once at the end of every invocation (lambdas/entry/functions.ts), not every command.
 */
export interface Metrics {
  /** Adds `value` (default 1) to a count; `qos` is given exactly for the metrics whose spec is byQos. */
  count(name: MetricName, value?: number, qos?: Qos): void;
  /** Records one latency sample in milliseconds. */
  latency(name: Extract<QosMetricName, 'AckLatency'>, ms: number, qos: Qos): void;
  /** Writes what was recorded since the last flush (nothing if nothing was). */
  flush(): void;
}

/** Records nothing: for hosts where no one reads the metrics (the local runtime, a bench). */
export const noopMetrics: Metrics = { count: () => {}, latency: () => {}, flush: () => {} };

/** One recorded value, as {@link MemoryMetrics} keeps it. */
export interface MetricSample {
  name: MetricName;
  value: number;
  qos?: Qos;
}

/** Keeps every value in memory, so a test can assert what a handler emitted. */
export class MemoryMetrics implements Metrics {
  /** Everything recorded, flushed or not. */
  readonly samples: MetricSample[] = [];
  flushes = 0;

  count(name: MetricName, value = 1, qos?: Qos): void {
    this.samples.push({ name, value, ...(qos !== undefined ? { qos } : {}) });
  }

  latency(name: 'AckLatency', ms: number, qos: Qos): void {
    this.samples.push({ name, value: ms, qos });
  }

  flush(): void {
    this.flushes += 1;
  }

  /** The sum of a metric's values, of one QoS if given. */
  total(name: MetricName, qos?: Qos): number {
    return this.of(name, qos).reduce((sum, s) => sum + s.value, 0);
  }

  /** A metric's samples, of one QoS if given. */
  of(name: MetricName, qos?: Qos): MetricSample[] {
    return this.samples.filter((s) => s.name === name && (qos === undefined || s.qos === qos));
  }

  clear(): void {
    this.samples.length = 0;
  }
}
