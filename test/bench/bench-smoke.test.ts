import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run bench` with tiny sizes: the report has its shape (every figure present and finite).
 * A benchmark is not a test: nothing here asserts on a time, a rate or a cost.
 */
describe('npm run bench --quick (tiny sizes)', () => {
  const out = mkdtempSync(join(tmpdir(), 'qosgate-bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes results.json, chart.svg and README.md with every figure finite', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--subscribers', '2', '--messages', '3', '--fanout', '1,2', '--sweep-entries', '30', '--out', out],
      { encoding: 'utf8', timeout: 90_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, any>;
    const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

    // QoS 0, 1, 2 with flow control as it ships, then QoS 1 with it off (what the cap costs).
    expect(report.throughput.map((t: any) => [t.qos, t.maxInflight])).toEqual([[0, 100], [1, 100], [2, 100], [1, 0]]);
    for (const t of report.throughput) {
      expect(t.deliveries).toBe(6);
      for (const n of [t.deliveriesPerSecond, t.latencyMs.p50, t.latencyMs.p99]) expect(finite(n)).toBe(true);
      for (const n of [t.perDelivery.dynamodbRequests, t.perDelivery.writeUnits, t.perDelivery.readUnits, t.perDelivery.lambdaInvocations, t.perDelivery.costPerMillion.total]) {
        expect(finite(n)).toBe(true);
      }
    }
    expect(report.fanout.map((f: any) => f.subscribers)).toEqual([1, 2]);
    for (const f of report.fanout) expect(finite(f.storedAndSentMs) && finite(f.lastReceiptMs)).toBe(true);
    expect(report.sweep.pendingEntries).toBe(30);
    expect(finite(report.sweep.itemsRead)).toBe(true);
    expect(report.memory.runtime.peakRssKb).toBeGreaterThan(0);
    expect(report.targets).toHaveLength(4);
    expect(readFileSync(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg /);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('## How to reproduce');
  }, 120_000);
});
