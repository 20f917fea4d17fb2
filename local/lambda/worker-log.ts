import type { Logger } from '../../lambdas/ports/logger.js';

/** What Powertools adds to every line; the runtime's log names the function instead. */
const POWERTOOLS_CONTEXT_KEYS = new Set(['timestamp', 'service', 'sampling_rate', 'xray_trace_id', 'function_name', 'function_memory_size', 'function_arn', 'function_request_id', 'cold_start']);

/**
 * Where a worker's output goes: its lines are what CloudWatch Logs would get. Powertools' JSON
 * lines go to the runtime's {@link Logger} by level (as the source mode's handlers log through
 * it); metrics (EMF, a `_aws` key) are dropped, as the source mode prints none; anything else
 * (a crash's stack, a Node warning) is an error line, with the function's name.
 */
export function workerLineSink(functionName: string, log: Logger): (line: string, stream: 'stdout' | 'stderr') => void {
  return (line, stream) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      if ('_aws' in record) return;
      const { level, message, ...all } = record;
      const fields = Object.fromEntries(Object.entries(all).filter(([key]) => !POWERTOOLS_CONTEXT_KEYS.has(key)));
      const text = typeof message === 'string' ? message : JSON.stringify(message ?? '');
      const tagged = { function: functionName, ...fields };
      const upper = typeof level === 'string' ? level.toUpperCase() : '';
      if (upper === 'ERROR' || upper === 'CRITICAL') log.error(text, tagged);
      else if (upper === 'WARN' || upper === 'WARNING') log.warn(text, tagged);
      else log.info(text, tagged);
      return;
    }
    log.error(`${functionName} ${stream}: ${line}`, { function: functionName });
  };
}
