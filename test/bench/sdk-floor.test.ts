import { describe, expect, it } from 'vitest';
import { postFloor, sdkFloorTable, type SdkFloorResult, type SdkFloorRow } from '../../bench/sdk-floor.js';

const row = (name: string, cpuUsPerCall: number): SdkFloorRow => ({ name, cpuUsPerCall, callsPerCoreSecond: Math.round(1e6 / cpuUsPerCall) });
const post = row('PostToConnection', 500);
const dynamodb = row('PutItem', 800);
const floor: SdkFloorResult = { calls: 1000, inFlight: 16, frameBytes: 1100, rows: [row('HTTP', 100), post, row('default', 600), dynamodb], post, dynamodb };

describe('the SDK floor', () => {
  it("turns the run's posts per delivery into the CPU they take and the most deliveries one core gives", () => {
    expect(postFloor(floor, 1.1)).toEqual({ cpuMs: 0.55, deliveriesPerCoreSecond: 1818 });
    // A fan-out: 10,000 posts are 5 s of one core at 500 µs each.
    expect(postFloor(floor, 10_000).cpuMs).toBe(5000);
  });

  it('tables every row with its µs per call and the calls one core can make', () => {
    const table = sdkFloorTable(floor);
    expect(table).toContain("### The SDK floor: one call's CPU on the caller's side, this machine (1000 calls a row, 16 in flight, a 1100 B frame)");
    expect(table).toMatch(/^\| PostToConnection +\| 500 +\| 2000 +\|$/m);
    expect(table).toMatch(/^\| PutItem +\| 800 +\| 1250 +\|$/m);
    expect(table.split('\n')).toHaveLength(3 + 1 + 4);
  });
});
