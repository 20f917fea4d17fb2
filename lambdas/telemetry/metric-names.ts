/**
 * The custom metrics the handlers emit (EMF, through the Metrics port), described once: the
 * Powertools adapter writes them under these names, and the CDK monitoring construct graphs
 * and alarms on exactly these names, namespace and dimensions (test/lib/monitoring.test.ts).
 *
 * Every metric carries the dimensions `service` and `stage` (the stage in the function's callback
 * URL, so two stages in one account never mix); those marked
 * `byQos` carry `qos` as well ('0', '1' or '2'), and are emitted only with it.
 */

/** CloudWatch namespace of every qosgate metric. */
export const METRIC_NAMESPACE = 'Qosgate';

/** The `service` dimension (Powertools' serviceName) of every metric and log line. */
export const SERVICE_NAME = 'qosgate';

/** Dimension names. */
export const DIMENSION = { service: 'service', stage: 'stage', qos: 'qos' } as const;

export type MetricUnit = 'Count' | 'Milliseconds';

export interface MetricSpec {
  unit: MetricUnit;
  /** Emitted with a `qos` dimension (and only with it). */
  byQos: boolean;
  /** What one data point means: the dashboard and docs/deploy.md say the same. */
  description: string;
}

/** Names are the CloudWatch metric names. */
export const METRICS = {
  Published: { unit: 'Count', byQos: true, description: 'client publishes accepted (QoS 0/1 handed on, QoS 2 stored at its first publish)' },
  Delivered: { unit: 'Count', byQos: true, description: 'message frames posted to a recipient on their first send (fan-out), by the QoS they were sent with' },
  Acked: { unit: 'Count', byQos: true, description: 'msgack ids: QoS 1 ids acked (deleted without a read, so a repeated ack counts again), QoS 2 entries finished' },
  AckLatency: { unit: 'Milliseconds', byQos: true, description: 'from handing a message on (the time in its server id, or its entry) to the msgack for it' },
  PendingStored: { unit: 'Count', byQos: false, description: 'pending QoS 1/2 entries written by fan-out (each awaits an ack)' },
  PendingDue: { unit: 'Count', byQos: false, description: 'pending entries the resend sweep found due (unanswered past their ack timeout): the backlog' },
  Resent: { unit: 'Count', byQos: false, description: 'frames the resend sweep posted again (dup: true)' },
  Expired: { unit: 'Count', byQos: true, description: 'pending copies dropped because their message expired (PROTOCOL §4 per-message expiry; not dead-lettered), by the QoS of the copy' },
  DeadLettered: { unit: 'Count', byQos: false, description: 'entries moved to the dead letters (attempt limit or message TTL reached)' },
  PageJobsQueued: { unit: 'Count', byQos: false, description: 'fan-out page jobs queued: the rest of an audience larger than the inline page, one job per page' },
  GoneConnections: { unit: 'Count', byQos: false, description: 'connections found gone (GoneException) while delivering or resending' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

/** Metric names whose spec says they carry `qos`. */
export type QosMetricName = { [K in MetricName]: (typeof METRICS)[K]['byQos'] extends true ? K : never }[MetricName];
