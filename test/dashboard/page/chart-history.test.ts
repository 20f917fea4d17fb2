import { describe, expect, it } from 'vitest';
import { CHART_HISTORY_MS, chartPoints, loadChartHistory } from '../../../local/dashboard/page/chart-history.js';

describe('the chart opens with the last hour of sensor/temp (PROTOCOL §10)', () => {
  it('asks history for sensor/temp since an hour ago, up to 1000, and gives the numeric readings oldest first', async () => {
    const asked: unknown[] = [];
    const client = {
      history: async (...args: unknown[]) => {
        asked.push(args);
        return [
          { data: 22.5, at: 3000, clientId: 'a' },
          { data: 'warm', at: 2000, clientId: 'b' },
          { data: 21, at: 1000, clientId: 'a' },
        ];
      },
    };
    const now = 10_000_000;
    expect(await loadChartHistory(client, now)).toEqual([
      { atMs: 1000, value: 21 },
      { atMs: 3000, value: 22.5 },
    ]);
    expect(asked).toEqual([['sensor', 'temp', { since: now - CHART_HISTORY_MS, limit: 1000 }]]);
    expect(CHART_HISTORY_MS).toBe(3_600_000);
    expect(chartPoints([])).toEqual([]);
  });
});
