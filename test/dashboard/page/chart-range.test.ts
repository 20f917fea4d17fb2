import { describe, expect, it } from 'vitest';
import { EMPTY_WINDOW_S, timeRange, valueRange } from '../../../local/dashboard/page/chart-range.js';

const NOW_S = 1_764_583_200; // 2025-12-01T10:00:00Z

describe('the temperature chart\'s axes', () => {
  it('show the last minute up to now while there is no reading (uPlot passes null), not 1970', () => {
    expect(EMPTY_WINDOW_S).toBe(60);
    expect(timeRange(null, null, NOW_S)).toEqual([NOW_S - 60, NOW_S]);
    expect(timeRange(undefined, undefined, NOW_S)).toEqual([NOW_S - 60, NOW_S]);
    const [from] = timeRange(null, null, NOW_S);
    expect(new Date(from * 1000).getUTCFullYear()).toBe(2025);
    expect(valueRange(null, null)).toEqual([0, 30]);
  });

  it('widen a lone reading to 20 s and a degree each side; a longer span stays as it is', () => {
    expect(timeRange(NOW_S, NOW_S, NOW_S + 500)).toEqual([NOW_S - 20, NOW_S + 1]);
    expect(timeRange(NOW_S - 100, NOW_S, NOW_S)).toEqual([NOW_S - 100, NOW_S]);
    expect(valueRange(21.4, 25.3)).toEqual([20, 27]);
  });
});
