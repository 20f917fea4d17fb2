import { describe, expect, it } from 'vitest';
import type { PendingView } from '../../../local/dashboard/page/api.js';
import { pendingRows } from '../../../local/dashboard/page/view.js';

const NOW = 1_000_000;
const entry = (over: Partial<PendingView>): PendingView => ({
  sessionId: 'dev-7',
  id: 'm1',
  controller: 'monitor',
  topic: 'temp',
  data: 21.5,
  qos: 1,
  state: 'sent',
  parked: false,
  held: false,
  attempts: 1,
  createdAt: NOW - 1000,
  dueAt: NOW + 2500,
  ...over,
});

describe('the pending table', () => {
  it('says when each message is sent again: in so long, parked, or held by flow control', () => {
    const html = pendingRows(
      [entry({ id: 'a' }), entry({ id: 'b', parked: true, dueAt: NOW + 60_000 }), entry({ id: 'c', held: true, attempts: 0, dueAt: NOW + 86_400_000 })],
      NOW,
      () => false,
    );
    const due = [...html.matchAll(/<td class="due">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(due).toEqual(['in 2.5 s', 'parked (dead-letter in 60 s)', 'held: sent when acks free room (flow control)']);
  });
});
