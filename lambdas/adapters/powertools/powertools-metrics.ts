import { Metrics as PowertoolsMetricsClient, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Qos } from '../../core/types.js';
import type { Metrics } from '../../ports/metrics.js';
import { DIMENSION, METRIC_NAMESPACE, METRICS, SERVICE_NAME, type MetricName } from '../../telemetry/metric-names.js';

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

export interface PowertoolsMetricsOptions {
  /** The `stage` dimension of every metric. */
  stage: string;
  /** A Powertools client per dimension set, made by this (tests inject their own to capture output). */
  client?: (defaultDimensions: Record<string, string>) => PowertoolsMetricsClient;
}

/**
 * The Metrics port as CloudWatch Embedded Metric Format, written by Powertools for AWS Lambda
 * to stdout, where Lambda's log pipeline turns each line into metrics (no PutMetricData call,
 * no extra latency, paid as log ingestion).
 *
 * Counts are summed in memory and written once per flush: one EMF line for the metrics with
 * the dimensions {service, stage}, and one per QoS for those with {service, stage, qos}, because
 * an EMF line has one dimension set for all its metrics. Latency samples stay individual values.
 */
export class PowertoolsMetrics implements Metrics {
  private readonly counts = new Map<string, number>();
  private readonly latencies = new Map<string, number[]>();
  private readonly clients = new Map<string, PowertoolsMetricsClient>();
  private readonly makeClient: (defaultDimensions: Record<string, string>) => PowertoolsMetricsClient;

  constructor(private readonly options: PowertoolsMetricsOptions) {
    this.makeClient =
      options.client ?? ((defaultDimensions) => new PowertoolsMetricsClient({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions }));
  }

  count(name: MetricName, value = 1, qos?: Qos): void {
    const key = keyOf(name, qos);
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }

  latency(name: 'AckLatency', ms: number, qos: Qos): void {
    const key = keyOf(name, qos);
    const values = this.latencies.get(key) ?? [];
    values.push(ms);
    this.latencies.set(key, values);
  }

  flush(): void {
    const touched = new Set<PowertoolsMetricsClient>();
    for (const [key, value] of this.counts) {
      const { name, qos } = parseKey(key);
      const client = this.clientFor(qos);
      client.addMetric(name, UNITS[METRICS[name].unit], value);
      touched.add(client);
    }
    for (const [key, values] of this.latencies) {
      const { name, qos } = parseKey(key);
      const client = this.clientFor(qos);
      // Repeated names become one EMF metric with many values (Powertools flushes at 100).
      for (const value of values) client.addMetric(name, UNITS[METRICS[name].unit], value);
      touched.add(client);
    }
    this.counts.clear();
    this.latencies.clear();
    for (const client of touched) client.publishStoredMetrics();
  }

  private clientFor(qos: string | undefined): PowertoolsMetricsClient {
    const key = qos ?? '';
    let client = this.clients.get(key);
    if (!client) {
      const dimensions: Record<string, string> = { [DIMENSION.stage]: this.options.stage };
      if (qos !== undefined) dimensions[DIMENSION.qos] = qos;
      client = this.makeClient(dimensions);
      this.clients.set(key, client);
    }
    return client;
  }
}

function keyOf(name: MetricName, qos: Qos | undefined): string {
  // The spec decides the dimensions, not the caller: a byQos metric without a qos is a bug.
  if (METRICS[name].byQos !== (qos !== undefined)) throw new Error(`qosgate: metric ${name} is ${METRICS[name].byQos ? '' : 'not '}by QoS`);
  return qos === undefined ? name : `${name}\u0000${qos}`;
}

function parseKey(key: string): { name: MetricName; qos?: string } {
  const [name, qos] = key.split('\u0000') as [MetricName, string | undefined];
  return qos === undefined ? { name } : { name, qos };
}
