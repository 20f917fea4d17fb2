/**
 * The wire frames as the client sees them (shared/PROTOCOL.md §2, §3). The server's frame
 * types come from the server's vocabulary as *types only* (`import type` is erased, so no
 * server code ever reaches a device or a browser bundle). The client's outgoing frames are the
 * server's parsed `Command`, except that a publish's `retain` and `dup` may be left out on the
 * wire (the server reads them as false).
 */
import type { Command, ErrorCode, PublishMessage, Qos, ServerFrame } from '../lambdas/core/types.js';

export type { ErrorCode, Qos, ServerFrame };

/** Frames this client writes (PROTOCOL §2). */
export type ClientFrame =
  | Exclude<Command, { action: 'publish' }>
  | (Omit<SinglePublish, 'retain' | 'dup'> & { retain?: boolean; dup?: boolean })
  | BatchPublishFrame;

type SinglePublish = Exclude<Extract<Command, { action: 'publish' }>, { messages: unknown }>;

/** One message of a batched publish as this client writes it (PROTOCOL §2 `messages`). */
export type BatchMessageFrame = Omit<PublishMessage, 'retain'> & { retain?: boolean };

/** A batched publish (PROTOCOL §2): one id and one QoS for every message. */
export interface BatchPublishFrame {
  action: 'publish';
  qos: Qos;
  id?: string;
  dup?: boolean;
  messages: BatchMessageFrame[];
}

/** A server frame of one `type`. */
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** The server's `msgack` takes at most this many ids in one frame (docs/protocol.md §2). */
export const MAX_ACK_IDS = 100;

/**
 * Reads a server frame. Returns undefined for anything that is not a JSON object with a
 * known `type` and the fields this client relies on: the client connects with
 * `format=json`, so anything else is a server or proxy fault, reported and skipped.
 */
export function decodeServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as Record<string, unknown>;
  const str = (key: string): boolean => typeof frame[key] === 'string';
  switch (frame.type) {
    case 'message':
      return str('controller') && str('topic') && isQos(frame.qos) && (frame.qos === 0 || str('id')) ? (frame as ServerFrame) : undefined;
    case 'pubrel':
    case 'pubrec':
    case 'msgack':
      return str('id') ? (frame as ServerFrame) : undefined;
    case 'suback':
      return str('controller') && str('topic') && isQos(frame.qos) ? (frame as ServerFrame) : undefined;
    case 'unsuback':
      return str('controller') && str('topic') ? (frame as ServerFrame) : undefined;
    case 'pong':
    case 'willack':
      return frame as ServerFrame;
    case 'error':
      return str('code') && str('message') ? (frame as ServerFrame) : undefined;
    case 'history':
      return str('controller') && str('topic') && Array.isArray(frame.items) && typeof frame.more === 'boolean' ? (frame as ServerFrame) : undefined;
    default:
      return undefined;
  }
}

/** Writes a client frame (compact JSON, PROTOCOL §2). */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

export function isQos(value: unknown): value is Qos {
  return value === 0 || value === 1 || value === 2;
}
