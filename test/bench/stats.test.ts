import { describe, expect, it } from 'vitest';
import { percentile, round } from '../../bench/stats.js';

describe('percentile', () => {
  it('is the nearest rank of sorted values, NaN for none', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('round', () => {
  it('rounds to one decimal unless told more', () => {
    expect(round(1.26)).toBe(1.3);
    expect(round(1.2345, 2)).toBe(1.23);
    expect(round(0.0004, 3)).toBe(0);
  });
});
