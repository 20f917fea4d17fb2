import { Logger as PowertoolsLoggerClient } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../ports/logger.js';
import { SERVICE_NAME } from '../../telemetry/metric-names.js';

/**
 * The Logger port as Powertools for AWS Lambda structured logs: one JSON object per line with
 * `level`, `message`, `timestamp`, `service` and the fields given, at the top level, so a
 * CloudWatch Logs Insights query can filter on them (`filter message = 'In' and qos = 2`).
 * The frame handler's `In` / `Out` lines carry frameSummary's fields: type or action,
 * controller, topic, qos, id (ids for msgack), dup.
 *
 * The level comes from POWERTOOLS_LOG_LEVEL (the stack sets it from `qosgate:logLevel`).
 */
export class PowertoolsLogger implements Logger {
  constructor(readonly client: PowertoolsLoggerClient = new PowertoolsLoggerClient({ serviceName: SERVICE_NAME })) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.client.info(message, fields ?? {});
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.client.warn(message, fields ?? {});
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.client.error(message, fields ?? {});
  }
}
