import { Logger as PowertoolsLoggerClient } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../ports/logger.js';
import { SERVICE_NAME } from '../../telemetry/metric-names.js';

/**
 * The keys Powertools writes itself on every line (its `ReservedKeys`, not exported by the package).
 * A field under one of these names is dropped with a warning ('The key "message" is a reserved key
 * and will be dropped'), so an error frame's text logged as `message` would vanish.
 */
const RESERVED_KEYS = ['level', 'message', 'sampling_rate', 'service', 'timestamp'] as const;

/** Where a reserved field goes instead: `message` (a refusal's or error's text) becomes `detail`. */
export const RENAMED_FIELDS: Readonly<Record<(typeof RESERVED_KEYS)[number], string>> = {
  level: 'fieldLevel',
  message: 'detail',
  sampling_rate: 'fieldSamplingRate',
  service: 'fieldService',
  timestamp: 'fieldTimestamp',
};

/** The fields with every reserved key renamed, so no caller can lose a field to Powertools. */
export function safeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const renamed = Object.hasOwn(RENAMED_FIELDS, key) ? RENAMED_FIELDS[key as keyof typeof RENAMED_FIELDS] : key;
    safe[renamed] = value;
  }
  return safe;
}

/**
 * The Logger port as Powertools for AWS Lambda structured logs: one JSON object per line with
 * `level`, `message`, `timestamp`, `service` and the fields given, at the top level, so a
 * CloudWatch Logs Insights query can filter on them (`filter message = 'In' and qos = 2`).
 * The frame handler's `In` / `Out` lines carry frameSummary's fields: type or action,
 * controller, topic, qos, id (ids for msgack), dup. A field named like one of Powertools' own keys
 * is renamed (see {@link RENAMED_FIELDS}): `message` in the fields is logged as `detail`.
 *
 * The level comes from POWERTOOLS_LOG_LEVEL (the stack sets it from `qosgate:logLevel`).
 */
export class PowertoolsLogger implements Logger {
  constructor(readonly client: PowertoolsLoggerClient = new PowertoolsLoggerClient({ serviceName: SERVICE_NAME })) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.client.info(message, safeFields(fields));
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.client.warn(message, safeFields(fields));
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.client.error(message, safeFields(fields));
  }
}
