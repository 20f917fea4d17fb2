import { beforeEach, describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../lambdas/core/types.js';
import type { Stores } from '../../lambdas/ports/index.js';
import { LATER, T0 } from './subscription-fixture.js';

/**
 * The HistoryStore part of the store contract (PROTOCOL §10): what `history` and the write on the
 * hot path (app/ingest.ts) rely on. Run by describeStoreContract on every store implementation.
 */

const SECOND = 1000;

/** A record of sensor/temp, received `offset` ms after T0, kept until LATER. */
export function historyRecord(messageId: string, offset: number, overrides: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    controller: 'sensor',
    topic: 'temp',
    data: offset,
    qos: 1,
    clientId: 'dev-7',
    receivedAt: T0 + offset,
    messageId,
    expiresAt: LATER,
    ...overrides,
  };
}

/** `count` records one second apart, oldest first: r-000 at T0, r-001 at T0 + 1 s, ... */
function series(count: number, overrides: Partial<HistoryRecord> = {}, prefix = 'r'): HistoryRecord[] {
  return Array.from({ length: count }, (_, i) => historyRecord(`${prefix}-${String(i).padStart(3, '0')}`, i * SECOND, overrides));
}

const ids = (records: HistoryRecord[]) => records.map((r) => r.messageId);

export function describeHistoryContract(label: string, makeStores: () => Promise<Stores>): void {
  describe(`${label}: HistoryStore`, () => {
    let stores: Stores;
    beforeEach(async () => {
      stores = await makeStores();
    });

    const page = (query: { limit: number; since?: number; before?: number }, now = T0, controller = 'sensor', topic = 'temp') =>
      stores.history.page(controller, topic, query, now);

    it('append then page round-trips every field; an empty topic pages nothing', async () => {
      const record = historyRecord('m1', 0, { data: { value: 25.3, unit: 'C' }, qos: 2 });
      await stores.history.append([record]);
      expect(await page({ limit: 10 })).toStrictEqual({ items: [record], more: false });
      expect(await page({ limit: 10 }, T0, 'sensor', 'hum')).toStrictEqual({ items: [], more: false });
    });

    it('append of nothing is a no-op', async () => {
      await stores.history.append([]);
      expect(await page({ limit: 10 })).toStrictEqual({ items: [], more: false });
    });

    it('append is idempotent: the same record written again (a retried hand-on) is kept once', async () => {
      const record = historyRecord('m1', 0);
      await stores.history.append([record]);
      await stores.history.append([record]);
      await stores.history.append([record, historyRecord('m2', 0)]);
      expect(ids((await page({ limit: 10 })).items)).toEqual(['m2', 'm1']);
    });

    it('keeps every data sample exactly', async () => {
      const samples: unknown[] = [25.3, 0, '', 'ünïcødé 😀 | #', null, false, [], {}, { nested: { list: [1, 'b', null] } }];
      await stores.history.append(samples.map((data, i) => historyRecord(`m${i}`, i, { data })));
      const { items } = await page({ limit: 100 });
      expect(items.map((r) => r.data)).toStrictEqual([...samples].reverse());
    });

    it('keeps data nested deeper than structuredClone takes (the frame parser allows what JSON.parse does)', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 3000; i++) deep = { a: deep };
      await stores.history.append([historyRecord('deep', 0, { data: deep })]);
      const [read] = (await page({ limit: 1 })).items;
      expect(JSON.stringify(read?.data)).toBe(JSON.stringify(deep));
    });

    it('pages newest first; records of one millisecond by messageId, last first (the sort key order)', async () => {
      await stores.history.append([historyRecord('b', 5), historyRecord('a', 5), historyRecord('old', 1), historyRecord('new', 9)]);
      expect(ids((await page({ limit: 10 })).items)).toEqual(['new', 'b', 'a', 'old']);
    });

    it('limit cuts the newest `limit`; `more` tells whether older ones match beyond it', async () => {
      await stores.history.append(series(5));
      expect(await page({ limit: 3 })).toMatchObject({ more: true });
      expect(ids((await page({ limit: 3 })).items)).toEqual(['r-004', 'r-003', 'r-002']);
      expect(await page({ limit: 5 })).toMatchObject({ more: false });
      expect((await page({ limit: 5 })).items).toHaveLength(5);
      expect(await page({ limit: 1000 })).toMatchObject({ more: false });
    });

    it('since is inclusive, before exclusive, and both together bound the range', async () => {
      await stores.history.append(series(6));
      expect(ids((await page({ limit: 10, since: T0 + 3 * SECOND })).items)).toEqual(['r-005', 'r-004', 'r-003']);
      expect(ids((await page({ limit: 10, before: T0 + 2 * SECOND })).items)).toEqual(['r-001', 'r-000']);
      expect(ids((await page({ limit: 10, since: T0 + SECOND, before: T0 + 4 * SECOND })).items)).toEqual(['r-003', 'r-002', 'r-001']);
      // `more` counts only what matches: nothing before `since` makes it true.
      expect(await page({ limit: 3, since: T0 + 3 * SECOND })).toMatchObject({ more: false });
      expect(await page({ limit: 2, since: T0 + 3 * SECOND })).toMatchObject({ more: true });
    });

    it('before excludes every record of its own millisecond, whatever its messageId', async () => {
      await stores.history.append([historyRecord('a', 5), historyRecord('~~~', 5), historyRecord('x', 4)]);
      expect(ids((await page({ limit: 10, before: T0 + 5 })).items)).toEqual(['x']);
      expect(ids((await page({ limit: 10, since: T0 + 5 })).items)).toEqual(['~~~', 'a']);
    });

    it('since at or after before matches nothing (and does not fail)', async () => {
      await stores.history.append(series(3));
      expect(await page({ limit: 10, since: T0 + SECOND, before: T0 + SECOND })).toStrictEqual({ items: [], more: false });
      expect(await page({ limit: 10, since: T0 + 2 * SECOND, before: T0 })).toStrictEqual({ items: [], more: false });
    });

    it('paging by `before` = the oldest `at` of a page walks the whole history (one record per millisecond)', async () => {
      await stores.history.append(series(7));
      const seen: string[] = [];
      let before: number | undefined;
      for (let round = 0; round < 10; round++) {
        const result = await page({ limit: 3, ...(before !== undefined ? { before } : {}) });
        seen.push(...ids(result.items));
        if (!result.more) break;
        before = result.items.at(-1)?.receivedAt;
      }
      expect(seen).toEqual(ids(series(7)).reverse());
    });

    it('ignores expired records (live up to and including expiresAt)', async () => {
      await stores.history.append([historyRecord('gone', 3, { expiresAt: T0 + 10 }), historyRecord('live', 2, { expiresAt: T0 + 20 }), historyRecord('old', 1)]);
      expect(ids((await page({ limit: 10 }, T0 + 10)).items)).toEqual(['gone', 'live', 'old']);
      expect(ids((await page({ limit: 10 }, T0 + 11)).items)).toEqual(['live', 'old']);
      expect(await page({ limit: 1 }, T0 + 21)).toStrictEqual({ items: [historyRecord('old', 1)], more: false });
    });

    it('keeps topics and controllers apart', async () => {
      await stores.history.append([
        historyRecord('t', 1),
        historyRecord('h', 2, { topic: 'hum' }),
        historyRecord('m', 3, { controller: 'monitor' }),
        historyRecord('sub', 4, { topic: 'temp/inside' }),
      ]);
      expect(ids((await page({ limit: 10 })).items)).toEqual(['t']);
      expect(ids((await page({ limit: 10 }, T0, 'sensor', 'hum')).items)).toEqual(['h']);
      expect(ids((await page({ limit: 10 }, T0, 'monitor', 'temp')).items)).toEqual(['m']);
      expect(ids((await page({ limit: 10 }, T0, 'sensor', 'temp/inside')).items)).toEqual(['sub']);
    });

    it('appends more than one BatchWriteItem holds (25) in one call', async () => {
      await stores.history.append(series(60));
      const { items, more } = await page({ limit: 1000 });
      expect(items).toHaveLength(60);
      expect(more).toBe(false);
      expect(ids(items)).toEqual(ids(series(60)).reverse());
    });

    it('a page past many expired records: the filter drops more than `limit` and the page is still full and right', async () => {
      // 40 expired records newer than 5 live ones, and 40 more expired behind them: DynamoDB's
      // Limit counts the records its filter drops, so one Query of limit + 1 would come back short.
      const newerGone = series(40, { expiresAt: T0 }, 'x').map((r) => ({ ...r, receivedAt: r.receivedAt + 100 * SECOND }));
      const live = series(5, {}, 'live').map((r) => ({ ...r, receivedAt: r.receivedAt + 50 * SECOND }));
      const olderGone = series(40, { expiresAt: T0 }, 'y');
      await stores.history.append([...newerGone, ...live, ...olderGone]);
      const now = T0 + 1;
      expect(ids((await page({ limit: 3 }, now)).items)).toEqual(['live-004', 'live-003', 'live-002']);
      expect(await page({ limit: 3 }, now)).toMatchObject({ more: true });
      // Exactly the live ones, and nothing older alive: no `more`.
      expect(await page({ limit: 5 }, now)).toMatchObject({ more: false });
      expect((await page({ limit: 5 }, now)).items).toHaveLength(5);
      expect(await page({ limit: 1 }, now)).toStrictEqual({ items: [live[4]], more: true });
    });
  });
}
