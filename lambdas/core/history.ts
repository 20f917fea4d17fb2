import { utf8ByteLength } from './frames/utf8.js';
import type { HistoryFrame, HistoryItem, HistoryRecord } from './types.js';

/**
 * The answer to `history` (PROTOCOL §10; docs/protocol.md §10): one page of a topic's records,
 * newest first, in frames that each stay under API Gateway's 32 KB.
 *
 *   store.page(limit + 1) ──► cut to `limit` on a whole millisecond ──► split by bytes ──► frames
 *                                                                  more: true ... true, false (+ next)
 *
 * - `more` is true on every frame but the last of the answer (a client collects until `more: false`).
 * - `next` (last frame only): present when older records match beyond this page; send it as
 *   `before` to get them. `before` is exclusive and counts whole milliseconds, so a page never ends
 *   inside one millisecond's records (a batch has one receivedAt): those go to the next page,
 *   unless the page holds nothing else (more than `limit` records of one millisecond; the rest
 *   of that millisecond is then skipped: ask with a larger limit).
 */

/** API Gateway's largest WebSocket frame (32 KB, local/gateway/limits.ts), in UTF-8 bytes. */
export const MAX_FRAME_BYTES = 32 * 1024;

export interface HistoryRequest {
  controller: string;
  topic: string;
  limit: number;
  id?: string;
}

/**
 * The frames of one answer. `found`: the store's page for `limit + 1` (newest first); `storeMore`:
 * whether the store has more beyond those. Always at least one frame (an empty one when nothing matched).
 */
export function historyFrames(request: HistoryRequest, found: HistoryRecord[], storeMore: boolean, maxBytes: number = MAX_FRAME_BYTES): HistoryFrame[] {
  const { records, next } = cutPage(found, storeMore, request.limit);
  return splitByBytes(request, records.map(itemOf), next, maxBytes);
}

function itemOf(record: HistoryRecord): HistoryItem {
  return { data: record.data, at: record.receivedAt, clientId: record.clientId };
}

/** At most `limit` records, ending on a whole millisecond where it can, and the `before` of the next page. */
function cutPage(found: HistoryRecord[], storeMore: boolean, limit: number): { records: HistoryRecord[]; next?: number } {
  const page = found.slice(0, limit);
  const oldest = page.at(-1);
  const beyond = found[limit];
  if (oldest === undefined || (beyond === undefined && !storeMore)) return { records: page };
  if (beyond === undefined || beyond.receivedAt !== oldest.receivedAt) return { records: page, next: oldest.receivedAt };
  // The limit cuts inside one millisecond: end the page before it, so the next starts with all of it.
  const whole = page.filter((r) => r.receivedAt !== oldest.receivedAt);
  if (whole.length === 0) return { records: page, next: oldest.receivedAt };
  return { records: whole, next: oldest.receivedAt + 1 };
}

function splitByBytes(request: HistoryRequest, items: HistoryItem[], next: number | undefined, maxBytes: number): HistoryFrame[] {
  const frame = (part: HistoryItem[], last: boolean): HistoryFrame => ({
    type: 'history',
    controller: request.controller,
    topic: request.topic,
    items: part,
    more: !last,
    ...(last && next !== undefined ? { next } : {}),
    ...(request.id !== undefined ? { id: request.id } : {}),
  });
  // The largest envelope any frame of this answer has (the last one's: `false` and `next`).
  const envelope = utf8ByteLength(JSON.stringify(frame([], true)));
  const frames: HistoryFrame[] = [];
  let part: HistoryItem[] = [];
  let bytes = envelope;
  for (const item of items) {
    const size = utf8ByteLength(JSON.stringify(item)) + (part.length > 0 ? 1 : 0); // the comma
    // A lone item too large still goes alone: with the default data limit (31 KB) every item fits (see the test).
    if (part.length > 0 && bytes + size > maxBytes) {
      frames.push(frame(part, false));
      part = [];
      bytes = envelope;
      bytes += size - 1;
    } else {
      bytes += size;
    }
    part.push(item);
  }
  frames.push(frame(part, true));
  return frames;
}
