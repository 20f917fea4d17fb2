import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iotCorePerMillionDeliveries } from '../../bench/cost.js';
import { REPORT_SECTIONS } from '../../bench/report.js';
import { ROUTES } from '../../lambdas/routes.js';

/**
 * `npm run bench` with tiny sizes: the report has its shape (every section, every figure of
 * issue 13 with its target and met / not met, every figure finite). A benchmark is not a test:
 * nothing here asserts on a time, a rate or a cost, nor on whether a target was met.
 */
describe('npm run bench --quick (tiny sizes)', () => {
  const out = mkdtempSync(join(tmpdir(), 'qosgate-bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes results.json, chart.svg and README.md with every section and every figure finite', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--subscribers', '2', '--messages', '3', '--fanout', '1,2', '--sweep-entries', '30', '--stored-fanout', '40', '--local-messages', '3', '--out', out],
      { encoding: 'utf8', timeout: 540_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, any>;
    const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

    // QoS 0, 1, 2 with flow control as it ships, then QoS 1 with it off (what the cap costs), then
    // QoS 1 with the opt-in first-send layout, all with 1 KB of data.
    expect(report.throughput.map((t: any) => [t.qos, t.maxInflight, t.firstSends ?? 'reference'])).toEqual([
      [0, 100, 'reference'],
      [1, 100, 'reference'],
      [2, 100, 'reference'],
      [1, 0, 'reference'],
      [1, 100, 'marker'],
    ]);
    for (const t of report.throughput) {
      expect(t.deliveries).toBe(t.subscribers * 3);
      expect(t.payloadBytes).toBe(1000);
      for (const n of [t.deliveriesPerSecond, t.latencyMs.p50, t.latencyMs.p99]) expect(finite(n)).toBe(true);
      for (const n of [t.perDelivery.dynamodbRequests, t.perDelivery.writeUnits, t.perDelivery.readUnits, t.perDelivery.writeItems, t.perDelivery.lambdaInvocations, t.perDelivery.costPerMillion.total]) {
        expect(finite(n)).toBe(true);
      }
    }
    // The ceiling, and QoS 1 and 2 from 1 to 10 subscribers against it (a rate window and the 10-in-flight latency).
    expect(report.ceiling.itemWritesPerSecond).toBeGreaterThan(0);
    expect(report.local.map((l: any) => [l.qos, l.rate.subscribers, l.rate.window, l.latency.window])).toEqual([[1, 10, 50, 10], [2, 10, 50, 10]]);
    for (const l of report.local) expect(finite(l.ratio) && finite(l.ceilingDeliveriesPerSecond)).toBe(true);
    // Where the time went: the cores the runtime, DynamoDB Local and the bench's clients kept busy (bench/process-cpu.ts).
    const cores = (c: any) => [c.runtimeCores, c.dynamodbLocalCores, c.benchCores];
    for (const c of [...report.throughput, ...report.local.flatMap((l: any) => [l.rate, l.latency]), ...report.fanout].map((x: any) => x.cpu)) {
      for (const n of cores(c)) expect(finite(n) && n >= 0).toBe(true);
      expect(c.seconds).toBeGreaterThan(0);
    }
    // The cost table: QoS 1 and 2 at K = 1, 10 and the run's K, IoT Core's price beside each QoS 1 row.
    // And QoS 1 with first sends in their markers (opt-in) at the K below the largest (here 1).
    expect(report.costs.map((c: any) => [c.qos, c.k, c.firstSends ?? 'reference'])).toEqual([
      [1, 1, 'reference'],
      [2, 1, 'reference'],
      [1, 2, 'reference'],
      [2, 2, 'reference'],
      [1, 10, 'reference'],
      [2, 10, 'reference'],
      [1, 1, 'marker'],
    ]);
    for (const c of report.costs) {
      expect(finite(c.perDelivery.costPerMillion.total)).toBe(true);
      expect(c.iotCore).toBe(c.qos === 1 ? iotCorePerMillionDeliveries(c.k, 1000) : null);
    }
    expect(report.fanout.map((f: any) => f.subscribers)).toEqual([1, 2]);
    for (const f of report.fanout) expect(finite(f.storedAndSentMs) && finite(f.lastReceiptMs)).toBe(true);
    // The stored fan-out: every session counted by the endpoint, and its entry stored.
    expect(report.storedFanout).toMatchObject({ sessions: 40, distinctPosted: 40, pendingStored: 40, complete: true });
    expect(finite(report.storedFanout.longest.durationMs) && finite(report.storedFanout.longest.timeoutSeconds)).toBe(true);
    // Lambda sizing: a row for every function of the route table.
    const sized = report.sizing.map((r: any) => r.functionId);
    for (const route of ROUTES) expect(sized).toContain(route.id);
    for (const r of report.sizing.filter((x: any) => x.invocations > 0)) expect(finite(r.maxMs) && finite(r.p99Ms) && finite(r.timeoutSeconds)).toBe(true);
    // Sizing from the deploy bundles: every function's row; those the cases ran have a report of each invocation.
    expect(report.bundledSizing.rows.map((r: any) => r.functionId)).toEqual(expect.arrayContaining(ROUTES.map((route) => route.id)));
    const reported = report.bundledSizing.rows.filter((r: any) => r.invocations > 0).map((r: any) => r.functionId);
    // (Not FanoutPage: 40 stored sessions are one inline page, handed on without the queue.)
    expect(reported).toEqual(expect.arrayContaining(['Connect', 'Subscribe', 'Publish', 'Msgack', 'Pubrec', 'Pubrel', 'Disconnect', 'Ping', 'Will', 'History', 'Resume', 'Goodbye']));
    // The resend sweep's bundle ran once over the stored fan-out's unacked entries, judged by its longest pass.
    const resend = report.bundledSizing.rows.find((r: any) => r.functionId === 'Resend');
    expect(resend).toMatchObject({ invocations: 1, timedOut: 0 });
    expect(resend.sweep.passes).toBeGreaterThan(0);
    expect(finite(resend.sweep.longestPassMs) && finite(resend.sweep.passEstimateMs)).toBe(true);
    for (const r of report.bundledSizing.rows.filter((x: any) => x.invocations > 0)) {
      expect(finite(r.maxMs) && finite(r.maxCpuMs) && finite(r.lambdaEstimateMs) && r.maxMemoryUsedMb > 0).toBe(true);
      expect(r.lambdaEstimateMs).toBeGreaterThanOrEqual(r.maxCpuMs);
    }
    expect(report.sweep.pendingEntries).toBe(30);
    expect(finite(report.sweep.itemsRead)).toBe(true);
    expect(report.memory.runtime.peakRssKb).toBeGreaterThan(0);
    // Cold start: every bundle's size and init on Node 22 (bench/cold-start.ts).
    expect(report.coldStart.node.version).toMatch(/^v22\./);
    expect(report.coldStart.rows.map((r: any) => r.functionId)).toEqual(expect.arrayContaining(ROUTES.map((route) => route.id)));
    for (const r of report.coldStart.rows) expect(finite(r.indexBytes) && finite(r.zipBytes) && finite(r.initMs)).toBe(true);

    // The SDK floor: one call's CPU on the caller's side (bench/sdk-floor.ts), quoted by the local and fan-out targets.
    expect(report.sdkFloor.rows).toHaveLength(4);
    for (const r of report.sdkFloor.rows) expect(finite(r.cpuUsPerCall) && r.cpuUsPerCall > 0 && finite(r.callsPerCoreSecond)).toBe(true);

    // Every figure of the issue has its target and a verdict.
    const names = report.targets.map((t: any) => t.name).join('\n');
    for (const figure of [/write units per QoS 1/, /read units per QoS 1/, /requests per QoS 1/, /QoS 1 deliveries at K=100/, /QoS 1 deliveries at K=1 /, /QoS 1 deliveries at K=1 \(1 KB\), opt-in firstSends: marker/, /local QoS 1 throughput/, /local QoS 1 p50/, /local QoS 2 throughput/, /real sockets/, /stored sessions .*handed on/, /longest single invocation/, /Lambda sizing/, /sweep/]) {
      expect(names).toMatch(figure);
    }
    for (const t of report.targets) {
      expect(t.target).toBeTruthy();
      expect([true, false, null]).toContain(t.met);
    }
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('## How to reproduce');
    for (const section of REPORT_SECTIONS) expect(readme).toContain(`### ${section}`);
    expect(readme).toMatch(/### Cold start on Node v22\.\d+\.\d+ \(median of 3; empty bundle [\d.]+ ms\)/);
    expect(readme).toMatch(/\| met( \/ not met)? +\|/);
    expect(readme).toContain('| CPU cores: runtime | DynamoDB Local | bench clients |');
    expect(report.targets.find((t: any) => /local QoS 1 throughput/.test(t.name)).measured).toMatch(/CPU meanwhile: runtime process [\d.]+ cores, DynamoDB Local [\d.]+/);
    expect(report.targets.find((t: any) => /local QoS 1 throughput/.test(t.name)).measured).toMatch(/posts alone: [\d.]+ ms of CPU a delivery \([\d.]+ × \d+ µs, SDK floor\), so one core gives at most \d+\/s where the target needs \d+\/s/);
    expect(report.targets.find((t: any) => /real sockets/.test(t.name)).measured).toMatch(/its posts alone take [\d.]+ s of one core's CPU \(\d+ µs a PostToConnection, SDK floor\)/);
    expect(readme).toMatch(/### The SDK floor: one call's CPU on the caller's side, this machine \(1000 calls a row, 16 in flight, a \d+ B frame\)/);
    expect(readFileSync(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg /);
  }, 570_000);
});
