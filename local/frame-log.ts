import { parseFrame } from '../lambdas/core/frames/parse-frame.js';

/**
 * The seed's message interceptor (XSockets `IMessageInterceptor`: "In: {@m}" / "Out: {@m}"),
 * for the local runtime: one line per frame in and out, with what matters for QoS.
 */
export interface FrameLog {
  frameIn(connectionId: string, data: string): void;
  frameOut(connectionId: string, data: string): void;
  note(message: string): void;
}

const KEYS = ['action', 'type', 'controller', 'topic', 'data', 'qos', 'id', 'ids', 'dup', 'retained', 'code', 'message'];

/** Shortens a connection id the way a person can still tell them apart. */
function who(connectionId: string): string {
  return connectionId.length > 8 ? connectionId.slice(0, 8) : connectionId;
}

function summarize(data: string): string {
  let frame: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) frame = parsed as Record<string, unknown>;
  } catch {
    // A text frame (PROTOCOL §6): show it as typed, and what it means.
    try {
      const command = parseFrame(data, { maxDataBytes: Number.MAX_SAFE_INTEGER }) as unknown as Record<string, unknown>;
      return `${data}  ${pick(command)}`;
    } catch {
      return data;
    }
  }
  return frame ? pick(frame) : data;
}

function pick(frame: Record<string, unknown>): string {
  const shown: Record<string, unknown> = {};
  for (const key of KEYS) if (frame[key] !== undefined) shown[key] = frame[key];
  const text = JSON.stringify(shown);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function time(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Writes In/Out lines to a stream (stdout by default). */
export function consoleFrameLog(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): FrameLog {
  return {
    frameIn: (connectionId, data) => write(`${time()} In:  ${who(connectionId)} ${summarize(data)}`),
    frameOut: (connectionId, data) => write(`${time()} Out: ${who(connectionId)} ${summarize(data)}`),
    note: (message) => write(`${time()} ${message}`),
  };
}

export const silentFrameLog: FrameLog = { frameIn: () => {}, frameOut: () => {}, note: () => {} };
