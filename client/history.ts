/**
 * `history` requests (PROTOCOL §10, docs/protocol.md §10): each gets its own id, the answer's
 * frames (all carrying that id) are collected until the one with `more: false`, and the call
 * resolves with every item, newest first, and `next` (the `before` of the older page) when
 * older records match. A request unanswered when the connection drops is sent again, whole,
 * on the next one (the frames of a partial answer are dropped: the new answer repeats them).
 */
import { ServerRefusedError } from './errors.js';
import type { ClientFrame, ServerFrameOf } from './frames.js';
import type { HistoryItem } from '../lambdas/core/types.js';

export type { HistoryItem };

/** What `history` may ask for (PROTOCOL §10): `since` and `before` in ms since the epoch, `limit` 1-1000 (default 100). */
export interface HistoryOptions {
  since?: number;
  before?: number;
  limit?: number;
}

/** One answer: the items newest first, and `next` when there are older ones (pass it as `before`). */
export interface HistoryPage {
  items: HistoryItem[];
  next?: number;
}

interface Waiting {
  frame: ClientFrame;
  items: HistoryItem[];
  resolve(page: HistoryPage): void;
  reject(error: Error): void;
}

export class HistoryRequests {
  private readonly waiting = new Map<string, Waiting>();
  private counter = 0;
  /** Drawn at the first request only, so a client that never asks takes nothing from `random` (tests inject it). */
  private prefix: string | undefined;

  constructor(
    private readonly send: (frame: ClientFrame) => boolean,
    private readonly random: () => number,
  ) {}

  request(controller: string, topic: string, options: HistoryOptions): Promise<HistoryPage> {
    this.prefix ??= Math.floor(this.random() * 36 ** 6).toString(36).padStart(6, '0');
    const id = `h-${this.prefix}-${(++this.counter).toString(36)}`;
    const frame: ClientFrame = {
      action: 'history',
      controller,
      topic,
      limit: options.limit ?? 100,
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.before !== undefined ? { before: options.before } : {}),
      id,
    };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { frame, items: [], resolve, reject });
      this.send(frame); // not open: sent by onOpen
    });
  }

  /** Sends every unanswered request again on a new connection, from its first frame. */
  onOpen(): void {
    for (const w of this.waiting.values()) {
      w.items = [];
      this.send(w.frame);
    }
  }

  onFrame(frame: ServerFrameOf<'history'>): void {
    const w = frame.id === undefined ? undefined : this.waiting.get(frame.id);
    if (!w || frame.id === undefined) return; // an answer to a request this client no longer waits for
    w.items.push(...frame.items);
    if (frame.more) return;
    this.waiting.delete(frame.id);
    w.resolve({ items: w.items, ...(frame.next !== undefined ? { next: frame.next } : {}) });
  }

  /** An error frame about one of these requests (it carries the request's id). True if it was one. */
  onError(frame: ServerFrameOf<'error'>): boolean {
    if (frame.action !== 'history' || frame.id === undefined) return false;
    const w = this.waiting.get(frame.id);
    if (!w) return false;
    this.waiting.delete(frame.id);
    w.reject(new ServerRefusedError(frame.code, frame.message, frame.action, frame.id));
    return true;
  }

  close(error: Error): void {
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }
}
