/**
 * Batched publishes on the client (PROTOCOL §2 `messages`): splitting a list of messages into
 * frames the server takes (at most {@link MAX_BATCH_MESSAGES} messages, at most `maxBytes` of
 * frame), and a {@link PublishBatcher} that coalesces single `publish()` calls into such frames.
 *
 *   publish() ─▶ queue (per QoS) ──full (maxMessages / maxBytes) or maxDelayMs later──▶ one frame
 *                                                   each caller's promise ◀── that frame's answer
 */
import { frameBytes, MAX_FRAME_BYTES } from './frame-size.js';
import { encodeClientFrame, type BatchMessageFrame, type Qos } from './frames.js';
import type { TimerHandle, Timers } from './timers.js';

/** The server takes at most this many messages in one batched publish (PROTOCOL §2). */
export const MAX_BATCH_MESSAGES = 100;

/**
 * Default byte budget of one batch frame: under API Gateway's 32 KB (PROTOCOL §7) with 2 KB of
 * margin, so the id, `dup` and a resend's changes never push a full batch over the limit.
 */
export const DEFAULT_BATCH_BYTES = MAX_FRAME_BYTES - 2048;

/** One message of a batched publish (PROTOCOL §2). */
export interface BatchMessage {
  controller: string;
  topic: string;
  data: unknown;
  /** Keep as the topic's last value (PROTOCOL §4). */
  retain?: boolean;
  /** PROTOCOL §4 per-message expiry, whole seconds. */
  expiry?: number;
}

/** How `publish()` calls coalesce (ClientOptions.batch). */
export interface BatchOptions {
  /** Messages in one frame, 1-100 (default 100). */
  maxMessages?: number;
  /** A queued message waits at most this long for others (default 20 ms). */
  maxDelayMs?: number;
  /** Bytes of one frame (default {@link DEFAULT_BATCH_BYTES}; at most 32 KB). */
  maxBytes?: number;
}

export const BATCH_DEFAULTS = { maxMessages: MAX_BATCH_MESSAGES, maxDelayMs: 20, maxBytes: DEFAULT_BATCH_BYTES } as const;

/** The frame's bytes besides its messages, with the longest id a client may use (64 chars, PROTOCOL §2). */
const ENVELOPE_BYTES = frameBytes(encodeClientFrame({ action: 'publish', qos: 2, id: 'x'.repeat(64), dup: false, messages: [] }));

/** A message's bytes inside a batch frame, with the comma that separates it from the next. */
export function messageBytes(message: BatchMessage): number {
  return frameBytes(JSON.stringify(wireMessage(message))) + 1;
}

/** The message as written in a frame: `retain` only when set. */
export function wireMessage(message: BatchMessage): BatchMessageFrame {
  const { retain, expiry, ...rest } = message;
  return { ...rest, ...(retain === true ? { retain: true } : {}), ...(expiry !== undefined ? { expiry } : {}) };
}

/**
 * Splits messages, in order, into batches of at most `maxMessages` whose frames stay within
 * `maxBytes`. A message too large to share a frame goes alone (if it is over 32 KB even alone,
 * sending it fails with FrameTooLargeError, before anything is sent).
 */
export function splitBatches(messages: readonly BatchMessage[], maxMessages = MAX_BATCH_MESSAGES, maxBytes: number = DEFAULT_BATCH_BYTES): BatchMessage[][] {
  const limit = Math.min(Math.max(1, Math.floor(maxMessages)), MAX_BATCH_MESSAGES);
  const batches: BatchMessage[][] = [];
  let current: BatchMessage[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const message of messages) {
    const size = messageBytes(message);
    if (current.length > 0 && (current.length >= limit || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

interface Queued {
  message: BatchMessage;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Coalesces single publishes into batch frames, one queue per QoS (a frame has one QoS). A
 * queue is sent when it is full (by messages or bytes) or `maxDelayMs` after its first message;
 * every caller's promise settles with its frame's (`send`'s) outcome.
 */
export class PublishBatcher {
  private readonly queues = new Map<Qos, { items: Queued[]; bytes: number; timer?: TimerHandle }>();
  private readonly options: Required<BatchOptions>;

  constructor(
    private readonly timers: Timers,
    options: BatchOptions,
    /** Sends one batch; its promise is each of the batch's callers'. */
    private readonly send: (messages: BatchMessage[], qos: Qos) => Promise<void>,
  ) {
    this.options = {
      maxMessages: Math.min(Math.max(1, Math.floor(options.maxMessages ?? BATCH_DEFAULTS.maxMessages)), MAX_BATCH_MESSAGES),
      maxDelayMs: Math.max(0, options.maxDelayMs ?? BATCH_DEFAULTS.maxDelayMs),
      maxBytes: Math.min(options.maxBytes ?? BATCH_DEFAULTS.maxBytes, MAX_FRAME_BYTES),
    };
  }

  /** Queues one message; resolves when the frame it went out in is answered (QoS 0: written). */
  add(message: BatchMessage, qos: Qos): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const size = messageBytes(message);
      let queue = this.queues.get(qos);
      // Over the byte budget with this one: what is queued goes first.
      if (queue !== undefined && queue.items.length > 0 && queue.bytes + size > this.options.maxBytes) {
        this.flushQueue(qos);
        queue = undefined;
      }
      if (queue === undefined) {
        queue = { items: [], bytes: ENVELOPE_BYTES };
        this.queues.set(qos, queue);
      }
      queue.items.push({ message, resolve, reject });
      queue.bytes += size;
      if (queue.items.length >= this.options.maxMessages) this.flushQueue(qos);
      else if (queue.timer === undefined) queue.timer = this.timers.setTimeout(() => this.flushQueue(qos), this.options.maxDelayMs);
    });
  }

  /** Sends every queue now (before closing, or when the application asks). */
  flush(): void {
    for (const qos of [...this.queues.keys()]) this.flushQueue(qos);
  }

  /** Drops every queued message, rejecting its promise (the client is closing). */
  close(error: Error): void {
    for (const queue of this.queues.values()) {
      if (queue.timer !== undefined) this.timers.clearTimeout(queue.timer);
      for (const item of queue.items) item.reject(error);
    }
    this.queues.clear();
  }

  /** Messages queued and not sent yet. */
  get size(): number {
    let size = 0;
    for (const queue of this.queues.values()) size += queue.items.length;
    return size;
  }

  private flushQueue(qos: Qos): void {
    const queue = this.queues.get(qos);
    if (queue === undefined) return;
    this.queues.delete(qos);
    if (queue.timer !== undefined) this.timers.clearTimeout(queue.timer);
    if (queue.items.length === 0) return;
    const { items } = queue;
    this.send(
      items.map((i) => i.message),
      qos,
    ).then(
      () => items.forEach((i) => i.resolve()),
      (error: unknown) => items.forEach((i) => i.reject(error instanceof Error ? error : new Error(String(error)))),
    );
  }
}
