import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../lambdas/core/frames/encode-frame.js';
import { utf8ByteLength } from '../../lambdas/core/frames/utf8.js';
import { historyFrames, MAX_FRAME_BYTES } from '../../lambdas/core/history.js';
import { DEFAULT_MAX_DATA_BYTES } from '../../lambdas/core/policy.js';
import type { HistoryRecord } from '../../lambdas/core/types.js';

const T = 1_764_547_200_000;
const record = (i: number, overrides: Partial<HistoryRecord> = {}): HistoryRecord => ({
  controller: 'sensor',
  topic: 'temp',
  data: i,
  qos: 0,
  clientId: 'dev-7',
  receivedAt: T - i * 1000,
  messageId: `m${i}`,
  expiresAt: T + 1e9,
  ...overrides,
});
const request = { controller: 'sensor', topic: 'temp', limit: 10 };
const bytes = (f: unknown) => utf8ByteLength(encodeFrame(f as never, 'json'));

describe('historyFrames (PROTOCOL §10, docs/protocol.md §10)', () => {
  it('one frame for a small page: more false, no next when nothing older matches, the id when given', () => {
    const frames = historyFrames({ ...request, id: 'h1' }, [record(0), record(1)], false);
    expect(frames).toStrictEqual([
      { type: 'history', controller: 'sensor', topic: 'temp', items: [{ data: 0, at: T, clientId: 'dev-7' }, { data: 1, at: T - 1000, clientId: 'dev-7' }], more: false, id: 'h1' },
    ]);
  });

  it('cuts to limit and gives next = the oldest at when older records match', () => {
    const found = Array.from({ length: 11 }, (_, i) => record(i));
    const [frame] = historyFrames(request, found, false);
    expect(frame?.items).toHaveLength(10);
    expect(frame?.next).toBe(T - 9000);
    // The store having more beyond limit + 1 says the same.
    expect(historyFrames(request, found.slice(0, 11), true)[0]?.next).toBe(T - 9000);
  });

  it('a page never ends inside one millisecond: those records go to the next page (next = that ms + 1)', () => {
    const same = T - 8000;
    const found = [...Array.from({ length: 8 }, (_, i) => record(i)), ...['a', 'b', 'c'].map((id) => record(8, { receivedAt: same, messageId: id }))];
    // limit 10 would cut the three records of `same` after two.
    const [frame] = historyFrames(request, found, false);
    expect(frame?.items).toHaveLength(8);
    expect(frame?.next).toBe(same + 1);
  });

  it('unless the page holds nothing else: then it is full and next skips the rest of that millisecond', () => {
    const found = Array.from({ length: 11 }, (_, i) => record(0, { messageId: `b${i}` }));
    const [frame] = historyFrames(request, found, false);
    expect(frame?.items).toHaveLength(10);
    expect(frame?.next).toBe(T);
  });

  it('splits into frames under 32 KB (UTF-8 bytes of the encoded frame): more true on all but the last', () => {
    const big = 'é'.repeat(4000); // 8,000 bytes each
    const found = Array.from({ length: 10 }, (_, i) => record(i, { data: big }));
    const frames = historyFrames({ ...request, id: 'h-2' }, found, false);
    expect(frames.length).toBeGreaterThan(2);
    for (const f of frames) expect(bytes(f)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(frames.map((f) => f.more)).toEqual([...frames.slice(1).map(() => true), false]);
    expect(frames.every((f) => f.id === 'h-2')).toBe(true);
    expect(frames.flatMap((f) => f.items).map((i) => i.at)).toEqual(found.map((r) => r.receivedAt));
    // Each frame as full as it can be: the next item would not have fitted.
    expect(bytes({ ...frames[0], items: [...frames[0]!.items, frames[1]!.items[0]] })).toBeGreaterThan(MAX_FRAME_BYTES);
  });

  it('the largest record the defaults allow fits one frame with the largest envelope (names of 128, an id of 64 four-byte characters)', () => {
    const data = 'x'.repeat(DEFAULT_MAX_DATA_BYTES - 2); // serialized: the quotes make it exactly the limit
    const name = 'n'.repeat(128);
    const found = [record(0, { data, clientId: 'c'.repeat(128), controller: name, topic: name })];
    const frames = historyFrames({ controller: name, topic: name, limit: 1, id: '😀'.repeat(64) }, [...found, record(1)], false);
    expect(frames).toHaveLength(1);
    expect(bytes(frames[0])).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(utf8ByteLength(encodeFrame(frames[0]!, 'text'))).toBeLessThanOrEqual(bytes(frames[0]));
  });

  it('text connections get controller|history|topic|more|next|items', () => {
    const [frame] = historyFrames(request, [record(0, { data: 'a|b' }), record(1)], true);
    expect(encodeFrame({ ...frame!, items: frame!.items.slice(0, 1) }, 'text')).toBe(`sensor|history|temp|false|${T - 1000}|[{"data":"a|b","at":${T},"clientId":"dev-7"}]`);
  });
});
