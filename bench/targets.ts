import type { CeilingResult } from './ceiling.js';
import type { PerDelivery } from './cost.js';
import type { BundledSizingResult, BundledSizingRow } from './bundled-sizing.js';
import type { SizingRow } from './lambda-sizing.js';
import type { CpuUse } from './process-cpu.js';
import type { FanoutResult, SweepResult, ThroughputResult } from './scenarios.js';
import { postFloor, type SdkFloorResult } from './sdk-floor.js';
import type { StoredFanoutResult } from './stored-fanout.js';

/** One figure of issue 13 with its target, and whether this run met it. */
export interface Target {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
  note?: string;
}

/** One row of the cost table: a QoS and a K, what it cost per million deliveries, and IoT Core's price beside it. */
export interface CostRow {
  qos: 1 | 2;
  k: number;
  messages: number;
  acks: ThroughputResult['acks'];
  perDelivery: PerDelivery;
  /** IoT Core's $ per million deliveries for the same traffic; null for QoS 2 (not offered). */
  iotCore: number | null;
  /** Measured with the opt-in `firstSends: marker` (absent: the default layout). */
  firstSends?: 'marker';
}

/** The local throughput runs against the DynamoDB Local ceiling measured in the same run. */
export interface LocalThroughput {
  qos: 1 | 2;
  /** The run at the larger window: its deliveries/s is compared with the ceiling. */
  rate: ThroughputResult;
  /** The run at 10 publishes in flight: its p50. */
  latency: ThroughputResult;
  /** Ceiling in deliveries/s: item writes/s over the write items per delivery of `rate`. */
  ceilingDeliveriesPerSecond: number;
  /** rate.deliveriesPerSecond / ceilingDeliveriesPerSecond. */
  ratio: number;
}

export interface TargetInputs {
  k100Qos1: ThroughputResult | undefined;
  costs: CostRow[];
  ceiling: CeilingResult | null;
  local: LocalThroughput[];
  fanout: FanoutResult[];
  storedFanout: StoredFanoutResult | null;
  storedFanoutTarget: number;
  sizing: SizingRow[];
  /** Lambda sizing from the deploy bundles' execution environments (absent in old reports). */
  bundledSizing?: BundledSizingResult | null;
  sweep: SweepResult | null;
  /** The SDK's own CPU per call on this machine (absent in old reports). */
  sdkFloor?: SdkFloorResult | null;
}

const EPS = 1e-9;

/** Where the time went: the cores the runtime and DynamoDB Local kept busy meanwhile (absent in old reports). */
function busyText(cpu: CpuUse | undefined): string {
  if (!cpu) return '';
  const java = cpu.dynamodbLocalCores === null ? '' : `, DynamoDB Local ${cpu.dynamodbLocalCores}`;
  return `; CPU meanwhile: runtime process ${cpu.runtimeCores} cores${java}`;
}
/** What the run's posts alone take of one core (bench/sdk-floor.ts), beside what the target needs. */
function postFloorText(floor: SdkFloorResult | null | undefined, posts: number, wantedPerSecond?: number): string {
  if (!floor) return '';
  const bound = postFloor(floor, posts);
  if (wantedPerSecond === undefined) return `; its posts alone take ${(bound.cpuMs / 1000).toFixed(1)} s of one core's CPU (${floor.post.cpuUsPerCall} µs a PostToConnection, SDK floor)`;
  return `; posts alone: ${bound.cpuMs.toFixed(2)} ms of CPU a delivery (${posts} × ${floor.post.cpuUsPerCall} µs, SDK floor), so one core gives at most ${bound.deliveriesPerCoreSecond}/s where the target needs ${Math.ceil(wantedPerSecond)}/s`;
}
const usd = (n: number) => `$${n.toFixed(2)}`;
const sizeNote = (measuredAt: string, wanted: string) => (measuredAt === wanted ? {} : { note: `measured at ${measuredAt}; the target is for ${wanted}` });

/** Every figure of issue 13 with its target and met / not met (null where the run did not measure it). */
export function targetsOf(input: TargetInputs): Target[] {
  const out: Target[] = [];
  const q = input.k100Qos1;
  const perUnit = (name: string, wanted: number, value: (p: PerDelivery) => number, digits: number) => {
    out.push({
      name,
      target: `<= ${wanted}`,
      measured: q ? `${value(q.perDelivery).toFixed(digits)} at K=${q.subscribers}, ${q.payloadBytes} B, flow control on (cap ${q.maxInflight}), ${q.idsPerAck} ids per msgack` : 'n/a',
      met: q ? value(q.perDelivery) <= wanted + EPS : null,
      ...(q ? sizeNote(`K=${q.subscribers}`, 'K=100') : {}),
    });
  };
  perUnit('DynamoDB write units per QoS 1 delivery (1 KB, K=100, acks batched)', 2.1, (p) => p.writeUnits, 3);
  perUnit('DynamoDB read units per QoS 1 delivery (1 KB, K=100, acks batched)', 0.6, (p) => p.readUnits, 3);
  perUnit('DynamoDB requests per QoS 1 delivery (1 KB, K=100, acks batched, flow control on)', 0.2, (p) => p.dynamodbRequests, 3);

  for (const [k, wanted] of [
    [100, 1.6],
    [1, 2.6],
  ] as const) {
    const row = input.costs.find((c) => c.qos === 1 && c.k === k && c.firstSends === undefined);
    out.push({
      name: `$ per million QoS 1 deliveries at K=${k} (1 KB)`,
      target: `<= ${usd(wanted)}`,
      measured: row ? `${usd(row.perDelivery.costPerMillion.total)} (IoT Core ${row.iotCore === null ? 'n/a' : usd(row.iotCore)})` : 'n/a',
      met: row ? row.perDelivery.costPerMillion.total <= wanted + EPS : null,
    });
    // The opt-in layout on its own line: the default's line above is what a deployment gets.
    const marker = input.costs.find((c) => c.qos === 1 && c.k === k && c.firstSends === 'marker');
    if (marker) {
      out.push({
        name: `$ per million QoS 1 deliveries at K=${k} (1 KB), opt-in firstSends: marker`,
        target: `<= ${usd(wanted)}`,
        measured: `${usd(marker.perDelivery.costPerMillion.total)} (${marker.perDelivery.writeUnits.toFixed(3)} WRU, ${marker.perDelivery.readUnits.toFixed(3)} RRU, ${marker.perDelivery.dynamodbRequests.toFixed(3)} requests per delivery, ${marker.perDelivery.costPerMillion.apiGateway.toFixed(2)} of it API Gateway)`,
        met: marker.perDelivery.costPerMillion.total <= wanted + EPS,
        note: 'not the default: a session that comes back within an ack timeout gets its unacked first sends at their due time, not at resume (docs/protocol.md)',
      });
    }
  }

  const c = input.ceiling;
  for (const local of input.local) {
    const wantedRatio = local.qos === 1 ? 0.5 : 0.35;
    out.push({
      name: `local QoS ${local.qos} throughput, 1 -> ${local.rate.subscribers} subscribers, 1 KB, ${local.rate.window} in flight, against the DynamoDB Local ceiling`,
      target: `>= ${wantedRatio * 100}% of the ceiling`,
      measured: c
        ? `${local.rate.deliveriesPerSecond}/s = ${(local.ratio * 100).toFixed(0)}% of ${local.ceilingDeliveriesPerSecond}/s (${c.itemWritesPerSecond} item writes/s / ${local.rate.perDelivery.writeItems} write items per delivery)${busyText(local.rate.cpu)}${postFloorText(input.sdkFloor, local.rate.perDelivery.apiGatewayMessagesOut, wantedRatio * local.ceilingDeliveriesPerSecond)}`
        : 'n/a',
      met: c ? local.ratio >= wantedRatio - EPS : null,
      ...sizeNote(`K=${local.rate.subscribers}`, 'K=10'),
    });
    if (local.qos === 1) {
      out.push({
        name: `local QoS 1 p50 latency, 1 -> ${local.latency.subscribers} subscribers, 1 KB, ${local.latency.window} publishes in flight`,
        target: '< 100 ms',
        measured: `${local.latency.latencyMs.p50} ms (p99 ${local.latency.latencyMs.p99} ms)`,
        met: local.latency.latencyMs.p50 < 100,
        ...sizeNote(`${local.latency.window} in flight`, '10 in flight'),
      });
    }
  }

  const biggest = [...input.fanout].sort((a, b) => b.subscribers - a.subscribers)[0];
  out.push({
    name: `fan-out of one QoS 1 publish to ${biggest ? biggest.subscribers.toLocaleString('en-US') : '10,000'} real sockets, publish -> last receipt`,
    target: '< 5 s',
    measured: biggest ? `${(biggest.lastReceiptMs / 1000).toFixed(2)} s (publisher msgack ${(biggest.storedAndSentMs / 1000).toFixed(2)} s, ${biggest.connected} connected)${busyText(biggest.cpu)}${postFloorText(input.sdkFloor, biggest.connected)}` : 'n/a (not run)',
    met: biggest ? biggest.connected === biggest.subscribers && biggest.lastReceiptMs < 5000 : null,
    ...(biggest ? sizeNote(`K=${biggest.subscribers}`, 'K=10000') : {}),
  });

  const s = input.storedFanout;
  const wantedSessions = `${input.storedFanoutTarget} stored sessions`;
  out.push({
    name: `fan-out to ${s ? s.sessions.toLocaleString('en-US') : 'N'} stored sessions (counting endpoint): every one handed on`,
    target: 'all posted and all pending entries stored',
    measured: s ? `${s.distinctPosted} distinct connections posted (${s.posts} posts), ${s.pendingStored} pending entries stored, in ${(s.totalMs / 1000).toFixed(1)} s` : 'n/a (not run)',
    met: s ? s.complete : null,
    ...(s ? sizeNote(`${s.sessions} stored sessions`, wantedSessions) : {}),
  });
  out.push({
    name: 'fan-out to stored sessions: the longest single invocation against its function timeout',
    target: '<= half the timeout',
    measured: s?.longest ? `${(s.longest.durationMs / 1000).toFixed(2)} s in ${s.longest.functionId} (timeout ${s.longest.timeoutSeconds} s)` : 'n/a',
    met: s?.longest ? s.longest.durationMs <= (s.longest.timeoutSeconds * 1000) / 2 : null,
    ...(s ? sizeNote(`${s.sessions} stored sessions`, wantedSessions) : {}),
  });

  out.push(input.bundledSizing ? bundledSizingTarget(input.bundledSizing) : sharedThreadSizingTarget(input.sizing));

  out.push({
    name: 'items read by a sweep when nothing is due',
    target: '0',
    measured: input.sweep ? `${input.sweep.itemsRead} of ${input.sweep.pendingEntries} pending` : 'n/a',
    met: input.sweep ? input.sweep.itemsRead === 0 : null,
  });
  return out;
}

/**
 * Sizing from the deploy bundles' execution environments: each invocation's report, its CPU run
 * at the function's share of a vCPU (bench/bundled-sizing.ts); and its peak memory under the
 * function's. A sweeping function (Resend) is judged by its longest pass, not by an invocation
 * that fills its window by design. The functions that did not run there (routes no case uses) are named.
 */
function bundledSizingTarget(sizing: BundledSizingResult): Target {
  const ran = sizing.rows.filter((r) => r.timeoutOverTwiceEstimate !== null);
  const over = ran.filter((r) => r.timeoutOverTwiceEstimate === false || r.memoryFits === false);
  const idle = sizing.rows.filter((r) => r.timeoutOverTwiceEstimate === null).map((r) => r.functionId);
  // The function's largest unit of work: an invocation, or a sweep's pass.
  const largest = (r: BundledSizingRow) => r.sweep?.passEstimateMs ?? r.lambdaEstimateMs;
  const used = (r: BundledSizingRow) => largest(r) / (r.timeoutSeconds * 1000);
  const against = (r: BundledSizingRow) => `${r.sweep ? 'longest pass ' : ''}${(largest(r) / 1000).toFixed(2)} s of ${r.timeoutSeconds} s at ${r.memoryMb} MB`;
  const worst = [...ran].sort((a, b) => used(b) - used(a))[0];
  const closest = worst ? `; closest: ${worst.functionId}, ${against(worst)}` : '';
  const why = (r: BundledSizingRow) =>
    `${r.functionId} (${r.sweep ? 'longest pass ' : ''}estimate ${(largest(r) / 1000).toFixed(2)} s, timeout ${r.timeoutSeconds} s, ${r.maxMemoryUsedMb} of ${r.memoryMb} MB${r.timedOut > 0 ? `, ${r.timedOut} timed out` : ''})`;
  return {
    name: 'Lambda sizing: every function\'s timeout over twice its longest invocation, estimated for Lambda at its memory from the deploy bundle\'s runs (bundled mode)',
    target: 'timeout > 2 x estimate (the resend sweep: of its longest pass) and Max Memory Used < memory, every function',
    measured:
      ran.length === 0
        ? 'n/a'
        : `${over.length === 0 ? `met by all ${ran.length} functions that ran` : `not by ${over.map(why).join(', ')}`}${closest}${idle.length > 0 ? `; not run there: ${idle.join(', ')}` : ''}`,
    met: ran.length === 0 ? null : over.length === 0,
  };
}

/** Sizing from the main run's durations, where every function shares the runtime's one thread (reports from before the bundled pass). */
function sharedThreadSizingTarget(sizing: SizingRow[]): Target {
  const ran = sizing.filter((r) => r.timeoutOverTwiceMax !== null);
  const over = ran.filter((r) => r.timeoutOverTwiceMax === false);
  return {
    name: 'Lambda sizing: every function\'s timeout over twice its longest measured invocation',
    target: 'timeout > 2 x max, every function',
    measured: ran.length === 0 ? 'n/a' : over.length === 0 ? `met by all ${ran.length} functions that ran` : `not by ${over.map((r) => `${r.functionId} (max ${(r.maxMs / 1000).toFixed(2)} s, timeout ${r.timeoutSeconds} s)`).join(', ')}`,
    met: ran.length === 0 ? null : over.length === 0,
  };
}
