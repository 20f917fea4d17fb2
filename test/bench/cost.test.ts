import { describe, expect, it } from 'vitest';
import { connectedMonthCost, iotCorePerMillionDeliveries, perDelivery, PRICES } from '../../bench/cost.js';
import { emptyCounts } from '../../bench/dynamodb-meter.js';
import type { HostCounters } from '../../bench/host-protocol.js';

/** AWS IoT Core's price for the bench's traffic, from its list prices (issue 13's figures). */
describe('iotCorePerMillionDeliveries', () => {
  it('gives $2.01 per million QoS 1 deliveries at K=100 and $3.00 at K=1 for 1 KB payloads', () => {
    expect(iotCorePerMillionDeliveries(100, 1024)).toBe(2.01);
    expect(iotCorePerMillionDeliveries(1, 1024)).toBe(3);
    // The bench's payload (1,000 bytes of JSON) is metered the same: one 5 KB unit.
    expect(iotCorePerMillionDeliveries(100, 1000)).toBe(2.01);
  });

  it('meters the publish and each delivery in 5 KB units, each device PUBACK as one', () => {
    // 6 KB: 2 units inbound, 2 per delivery, 1 per PUBACK: (2 + 2 + 1) / 1.
    expect(iotCorePerMillionDeliveries(1, 6 * 1024)).toBe(5);
    // K=10,000: (1 + 10,000 + 10,000) / 10,000 = 2.0001 messages per delivery.
    expect(iotCorePerMillionDeliveries(10_000, 1024)).toBe(2.0001);
  });

  it('refuses a K that is not a positive whole number, and a negative size, saying which', () => {
    expect(() => iotCorePerMillionDeliveries(0, 1024)).toThrow(/k must be a positive whole number, got 0/);
    expect(() => iotCorePerMillionDeliveries(2.5, 1024)).toThrow(/got 2.5/);
    expect(() => iotCorePerMillionDeliveries(1, -1)).toThrow(/payloadBytes must be 0 or more, got -1/);
  });

  it('prices connectivity apart: a device connected for a 30-day month', () => {
    const month = connectedMonthCost();
    expect(month.minutes).toBe(43_200);
    expect(month.iotCore).toBeCloseTo(0.003456, 9);
    expect(month.apiGateway).toBeCloseTo(0.0108, 9);
  });
});

/** Lambda's share of the cost per delivery, from the runtime's counters (bench/cost.ts perDelivery). */
describe('perDelivery: Lambda', () => {
  const counters = (invocations: number, cpuMs: number, wallMs: number, memoryMb = 256): HostCounters => ({
    dynamodb: emptyCounts(),
    frames: { in: 0, out: 0, inBytes: 0, outBytes: 0, inUnits: 0, outUnits: 0 },
    invocations: { total: invocations, byFunction: { Publish: invocations }, durationMs: wallMs, billedMbMs: wallMs * memoryMb },
    cpuMs,
    javaCpuMs: 0,
  });

  it('bills the CPU an invocation took here as Lambda runs it at 256 MB: 256 / 1769 of a vCPU, so 6.9 times as long', () => {
    // 1,000 invocations of 10 ms of CPU each, for 1,000 deliveries: 70 ms billed each (69.1, rounded up).
    const p = perDelivery(counters(0, 0, 0), counters(1000, 10_000, 50_000), 1000);
    const gbSecond = PRICES.lambdaMemoryGb * PRICES.lambdaPerGbSecond;
    expect(p.costPerMillion.lambda).toBeCloseTo(PRICES.lambdaPerMillionRequests + 0.07 * gbSecond * 1e6, 4);
    // The wall clock as it is: 50 ms an invocation.
    expect(p.costPerMillion.lambdaWallClock).toBeCloseTo(PRICES.lambdaPerMillionRequests + 0.05 * gbSecond * 1e6, 4);
  });

  it('bills the wall clock at the memory the runtime counted for each invocation (512 MB: twice 256 MB)', () => {
    const p = perDelivery(counters(0, 0, 0, 512), counters(1000, 10_000, 50_000, 512), 1000);
    expect(p.costPerMillion.lambdaWallClock).toBeCloseTo(PRICES.lambdaPerMillionRequests + 0.05 * 0.5 * PRICES.lambdaPerGbSecond * 1e6, 4);
  });
});
