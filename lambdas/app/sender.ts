import { encodeFrame } from '../core/frames/encode-frame.js';
import type { FrameFormat, ServerFrame } from '../core/types.js';
import type { AppDeps } from './deps.js';
import { errorText } from '../ports/logger.js';

export type SendResult = 'ok' | 'gone' | 'failed';

/** The fields of a frame worth a log line (the seed's message interceptor: In/Out with qos, id, dup). */
export function frameSummary(frame: object): Record<string, unknown> {
  const f = frame as Record<string, unknown>;
  const summary: Record<string, unknown> = {};
  for (const key of ['type', 'action', 'controller', 'topic', 'qos', 'id', 'ids', 'dup', 'retained', 'code']) {
    if (f[key] !== undefined) summary[key] = f[key];
  }
  return summary;
}

/**
 * Posts one frame in the client's format. A gone connection is a value; any other failure
 * (throttling, a 5xx) is logged and reported as 'failed': a stored QoS 1/2 entry stays
 * pending and the sweep sends it again, so nothing is lost by not throwing here.
 */
export async function sendFrame(
  deps: Pick<AppDeps, 'gateway' | 'log'>,
  target: { connectionId: string; format: FrameFormat },
  frame: ServerFrame,
): Promise<SendResult> {
  try {
    const result = await deps.gateway.post(target.connectionId, encodeFrame(frame, target.format));
    deps.log.info(result === 'ok' ? 'Out' : 'Out: gone', { connectionId: target.connectionId, ...frameSummary(frame) });
    return result;
  } catch (error) {
    deps.log.error('Out: failed', {
      connectionId: target.connectionId,
      ...frameSummary(frame),
      error: errorText(error),
    });
    return 'failed';
  }
}
