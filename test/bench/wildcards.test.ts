import { describe, expect, it, inject } from 'vitest';
import { wildcardBench, wildcardTable } from '../../bench/wildcards.js';

/**
 * The wildcard bench with small sizes on the tests' DynamoDB Local: its cases deliver to whom
 * they should (the figures are only as good as that), and a publish never Scans. A benchmark is
 * not a test: no figure is held to a number here but what the design fixes (what is read).
 */
describe('bench/wildcards.ts (small sizes)', () => {
  it('delivers each case to its exact subscribers plus one session per matching filter, by Query and BatchGet, never Scan', async () => {
    const result = await wildcardBench(inject('dynamodbEndpoint'), { filters: 40, publishes: 2 });
    expect(result.cases.map((c) => [c.filtersStored, c.filtersMatching, c.qos, c.recipients])).toEqual([
      [0, 0, 0, 10],
      [0, 0, 1, 10],
      [40, 10, 0, 20],
      [40, 10, 1, 20],
      [40, 10, 0, 20],
      [40, 10, 1, 20],
    ]);
    for (const c of result.cases) expect(Object.keys(c.byOperation).some((op) => op.startsWith('Scan'))).toBe(false);
    // Without filters: one BatchGet of the 4 anchors' markers (site-7/boiler/temp) and the topic's own Query.
    expect(result.cases[0]?.byOperation).toEqual({ BatchGetItem: 1, Query: 1 });
    // With 10 matching: the 4 marked anchors' Queries too, and one Query per matching filter's partition.
    expect(result.cases[2]?.byOperation).toEqual({ BatchGetItem: 1, Query: 15 });
    expect(wildcardTable(result)).toHaveLength(6);
  }, 120_000);
});
