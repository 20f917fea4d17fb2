import type { RemainingTime } from '../handlers/resend.js';
import { errorText, type Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';

/** A Lambda handler as both API Gateway and the scheduler call it. */
export type LambdaHandler = (event: never, context?: RemainingTime) => Promise<unknown>;

/** An environment as a Lambda (process.env) or the local runtime (the template's) gives it. */
export type Env = Record<string, string | undefined>;

/**
 * Writes the invocation's metrics when it ends, failed or not: once per invocation, here,
 * rather than in every command (the middy-less equivalent of Powertools' logMetrics).
 */
export function flushingMetrics(handler: LambdaHandler, metrics: Metrics, log: Logger): LambdaHandler {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } finally {
      try {
        metrics.flush();
      } catch (error) {
        // Telemetry never fails an invocation (nor replaces the handler's own error).
        log.error('Metrics flush failed', { error: errorText(error) });
      }
    }
  };
}
