import { describe, expect, it } from 'vitest';
import { coldStartTable, measureColdStarts } from '../../bench/cold-start.js';

describe('the cold-start bench', () => {
  it("measures a bundle's sizes and its init on Node 22 beside an empty bundle's, and tables them", async () => {
    const result = await measureColdStarts({ runs: 1, only: ['Ping'] });
    expect(result.node.version).toMatch(/^v22\./);
    expect(result.rows).toHaveLength(1);
    const [ping] = result.rows;
    expect(ping).toMatchObject({ functionId: 'Ping', runsMs: [expect.any(Number)] });
    expect(ping?.indexBytes).toBeGreaterThan(0);
    expect(ping?.totalBytes).toBeGreaterThanOrEqual(ping?.indexBytes as number);
    expect(ping?.zipBytes).toBeLessThan(ping?.totalBytes as number);
    expect(ping?.initMs).toBeGreaterThan(0);
    expect(ping?.bundleInitMs).toBeCloseTo((ping?.initMs as number) - result.baselineInitMs, 0);
    const table = coldStartTable(result);
    expect(table).toContain(`### Cold start on Node ${result.node.version} (median of 1; empty bundle ${result.baselineInitMs} ms)`);
    expect(table).toMatch(new RegExp(`^\\| Ping +\\| ${((ping?.indexBytes as number) / 1024).toFixed(1)} +\\|`, 'm'));
  }, 120_000);
});
