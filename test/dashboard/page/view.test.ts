import { describe, expect, it } from 'vitest';
import type { PendingView } from '../../../local/dashboard/page/api.js';
import { logRow, pendingRows, presenceRows, temperatureReadings } from '../../../local/dashboard/page/view.js';

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

describe('the presence table (PROTOCOL §9)', () => {
  it('says online, or offline with the reason, and since when; every value escaped', () => {
    const html = presenceRows(
      [
        { sessionId: 'dev-7', online: true, at: NOW - 3000, connectionId: 'L0SM9cOFvHcCIhw=' },
        { sessionId: '<b>x</b>', online: false, at: NOW - 1000, connectionId: 'c2', reason: 'gone' },
      ],
      NOW,
    );
    expect(html).toContain('<td>dev-7</td><td><span class="online">online</span></td><td>3 s ago</td><td title="L0SM9cOFvHcCIhw=">L0SM9cOF</td>');
    expect(html).toContain('<td>&#60;b&#62;x&#60;/b&#62;</td><td><span class="offline">offline</span> (gone)</td><td>1 s ago</td>');
    expect(presenceRows([], NOW)).toContain('nobody seen yet');
  });
});

describe('batched publishes in the log and the chart (PROTOCOL §2 messages)', () => {
  const batch = { action: 'publish', qos: 1, id: 'c-9', messages: [{ controller: 'sensor', topic: 'temp', data: 21.5 }, { controller: 'sensor', topic: 'hum', data: 40 }, { controller: 'sensor', topic: 'temp', data: 22 }] };

  it('the log row says how many messages and names the first one’s target and data', () => {
    const row = logRow({ seq: 1, at: 0, kind: 'in', connectionId: 'conn-1=', raw: JSON.stringify(batch), frame: batch }, new Map());
    expect(row).toContain('<td>3 messages: sensor/temp, …</td><td>21.5</td><td>1</td><td>c-9</td>');
  });

  it('the chart takes every sensor/temp reading of a batch, and a single publish’s', () => {
    expect(temperatureReadings(batch)).toEqual([21.5, 22]);
    expect(temperatureReadings({ action: 'publish', controller: 'sensor', topic: 'temp', data: 19 })).toEqual([19]);
    expect(temperatureReadings({ action: 'publish', controller: 'sensor', topic: 'temp', data: 'hot' })).toEqual([]);
    expect(temperatureReadings({ action: 'publish', messages: 'x' })).toEqual([]);
    expect(temperatureReadings({ action: 'msgack', id: 'm1' })).toEqual([]);
    expect(temperatureReadings(undefined)).toEqual([]);
  });
});
