import { DEFAULT_MEMORY_MB } from '../lambdas/routes.js';
import { diffCounts } from './dynamodb-meter.js';
import type { HostCounters } from './host-protocol.js';

const r4 = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * AWS list prices, us-east-1, as the bench prices a delivery: those of the pricing pages below,
 * entered 2026-11-22 (the bench does not fetch them: change them here when AWS does).
 */
export const PRICES = {
  asOf: '2026-11-22: the list prices of the AWS pages below, as given in the bench issue (not fetched by the bench)',
  source: [
    'https://aws.amazon.com/api-gateway/pricing/ (WebSocket APIs)',
    'https://aws.amazon.com/lambda/pricing/ (Arm)',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ],
  /** API Gateway WebSocket: per million messages (metered in 32 KB units; first billion tier). */
  apiGatewayPerMillionMessages: 1.0,
  /** API Gateway WebSocket: per million connection-minutes. */
  apiGatewayPerMillionConnectionMinutes: 0.25,
  /** Lambda arm64: per GB-second (first 6 billion GB-s tier). */
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  /**
   * The memory the CPU-billed Lambda figure runs the runtime's CPU at: a route function's default,
   * 256 MB (lambdas/routes.ts DEFAULT_MEMORY_MB). CPU-bound time billed at a function's memory costs the
   * same GB-s at any memory (memory x CPU / (memory / 1769)), so the 512 MB functions (those that
   * hand a page on: lambdas/routes.ts HANDS_ON_A_PAGE_MB) change that figure by rounding only.
   */
  lambdaMemoryGb: DEFAULT_MEMORY_MB / 1024,
  /**
   * Lambda's memory for one vCPU: "At 1,769 MB, a function has the equivalent of one vCPU"
   * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html); below it a
   * function's CPU runs at memory / 1769 of a vCPU, so a CPU-bound millisecond here takes longer there.
   */
  lambdaMbPerVcpu: 1769,
  /** DynamoDB on-demand: per million write / read request units. */
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
} as const;

/**
 * AWS IoT Core's list prices (us-east-1, as the bench issue gives them), for the side-by-side
 * of the cost table: the same traffic as one MQTT publish to K devices at QoS 1.
 */
export const IOT_CORE_PRICES = {
  source: 'https://aws.amazon.com/iot-core/pricing/ (messaging, connectivity)',
  /** Per million messages, each metered in 5 KB units. */
  perMillionMessages: 1.0,
  messageUnitBytes: 5 * 1024,
  /** Per million connection-minutes. */
  perMillionConnectionMinutes: 0.08,
} as const;

/**
 * IoT Core's $ per million QoS 1 deliveries of a `payloadBytes` message to `k` subscribers:
 * billed are the inbound publish, each outbound delivery and each PUBACK a device sends (MQTT
 * 3.1.1 meters it as one 5 KB message); the service's own PUBACKs, PINGREQ, CONNACK and
 * SUBACK are free. Connectivity ($0.08 per million connection-minutes) is left out, as it is of
 * qosgate's figures (API Gateway's connection-minutes): it depends on how long devices stay
 * connected, not on what they are sent. QoS 2 is not offered by IoT Core.
 *
 *   per publish: 1 inbound + k deliveries (each ceil(bytes / 5 KB) units) + k device PUBACKs (1 unit)
 *   K=100, 1 KB: (1 + 100 + 100) / 100 = 2.01 messages per delivery -> $2.01 per million
 *   K=1,   1 KB: (1 + 1 + 1) / 1 = 3 -> $3.00 per million
 */
export function iotCorePerMillionDeliveries(k: number, payloadBytes: number): number {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive whole number, got ${k}`);
  if (!(payloadBytes >= 0)) throw new Error(`payloadBytes must be 0 or more, got ${payloadBytes}`);
  const units = Math.max(1, Math.ceil(payloadBytes / IOT_CORE_PRICES.messageUnitBytes));
  const messagesPerPublish = units + k * units + k;
  return r4((messagesPerPublish / k) * IOT_CORE_PRICES.perMillionMessages);
}

/** What a month of one device connected all the time costs in connectivity, at IoT Core and at API Gateway. */
export function connectedMonthCost(): { minutes: number; iotCore: number; apiGateway: number } {
  const minutes = 30 * 24 * 60;
  return {
    minutes,
    iotCore: (minutes / 1_000_000) * IOT_CORE_PRICES.perMillionConnectionMinutes,
    apiGateway: (minutes / 1_000_000) * PRICES.apiGatewayPerMillionConnectionMinutes,
  };
}

/** What one delivery costs in requests, units, messages and invocations, and in dollars per million. */
export interface PerDelivery {
  deliveries: number;
  dynamodbRequests: number;
  byOperation: Record<string, number>;
  writeUnits: number;
  writeUnitsTable: number;
  writeUnitsIndex: number;
  readUnits: number;
  /** Items written (bench/dynamodb-meter.ts writeItems): what the DynamoDB Local ceiling is turned into deliveries by. */
  writeItems: number;
  apiGatewayMessagesIn: number;
  apiGatewayMessagesOut: number;
  lambdaInvocations: number;
  lambdaByFunction: Record<string, number>;
  /** Mean in-process handler duration per invocation (ms, wall clock on this machine, under the run's concurrency). */
  lambdaMeanMs: number;
  /** The runtime process's CPU time per invocation (ms): what Lambda would bill if no handler waited on I/O. */
  lambdaCpuMs: number;
  /** Requests that came back without ConsumedCapacity (their units are missing above). */
  requestsWithoutCapacity: number;
  /**
   * Dollars per million deliveries. `lambda` bills each invocation the runtime's CPU time per
   * invocation run at the memory's share of a vCPU (1 ms here is 1769 / 256 = 6.9 ms at 256 MB),
   * rounded up to 1 ms, and no I/O wait; `lambdaWallClock` bills the in-process wall-clock
   * duration as it is, at each function's memory in the template (hundreds of handlers share one
   * event loop on 2 cores, at a full core's speed). `total` uses `lambda`.
   */
  costPerMillion: { apiGateway: number; lambda: number; lambdaWallClock: number; dynamodb: number; total: number };
}


export function perDelivery(before: HostCounters, after: HostCounters, deliveries: number): PerDelivery {
  const d = diffCounts(after.dynamodb, before.dynamodb);
  const n = Math.max(1, deliveries);
  const inUnits = after.frames.inUnits - before.frames.inUnits;
  const outUnits = after.frames.outUnits - before.frames.outUnits;
  const invocations = after.invocations.total - before.invocations.total;
  const billedMbMs = after.invocations.billedMbMs - before.invocations.billedMbMs;
  const durationMs = after.invocations.durationMs - before.invocations.durationMs;
  const byFunction: Record<string, number> = {};
  for (const [id, count] of Object.entries(after.invocations.byFunction)) {
    const delta = count - (before.invocations.byFunction[id] ?? 0);
    if (delta > 0) byFunction[id] = r4(delta / n);
  }
  const byOperation: Record<string, number> = {};
  for (const [op, count] of Object.entries(d.byOperation)) byOperation[op] = r4(count / n);
  const writeUnits = d.writeUnitsTable + d.writeUnitsIndex;
  // DynamoDB Local reports nothing for keys a read does not find; AWS bills them (dynamodb-meter.ts).
  const readUnits = d.readUnitsTable + d.readUnitsIndex + d.readUnitsUnreported;
  // Dollars per delivery, times a million.
  const apiGateway = ((inUnits + outUnits) / n) * PRICES.apiGatewayPerMillionMessages;
  const cpuMs = after.cpuMs - before.cpuMs;
  const cpuPerInvocation = invocations > 0 ? cpuMs / invocations : 0;
  const gbSecondPrice = PRICES.lambdaMemoryGb * PRICES.lambdaPerGbSecond * 1_000_000;
  const requests = (invocations / n) * PRICES.lambdaPerMillionRequests;
  // Lambda gives a function CPU in proportion to its memory: the same CPU takes longer there.
  const cpuSlowdown = Math.max(1, PRICES.lambdaMbPerVcpu / (PRICES.lambdaMemoryGb * 1024));
  const lambda = requests + ((invocations * Math.max(1, Math.ceil(cpuPerInvocation * cpuSlowdown))) / 1000 / n) * gbSecondPrice;
  const lambdaWallClock = requests + (billedMbMs / 1024 / 1000 / n) * PRICES.lambdaPerGbSecond * 1_000_000;
  const dynamodb = (writeUnits / n) * PRICES.dynamoDbPerMillionWriteUnits + (readUnits / n) * PRICES.dynamoDbPerMillionReadUnits;
  return {
    deliveries,
    dynamodbRequests: r4(d.requests / n),
    byOperation,
    writeUnits: r4(writeUnits / n),
    writeUnitsTable: r4(d.writeUnitsTable / n),
    writeUnitsIndex: r4(d.writeUnitsIndex / n),
    readUnits: r4(readUnits / n),
    writeItems: r4(d.writeItems / n),
    apiGatewayMessagesIn: r4(inUnits / n),
    apiGatewayMessagesOut: r4(outUnits / n),
    lambdaInvocations: r4(invocations / n),
    lambdaByFunction: byFunction,
    lambdaMeanMs: invocations > 0 ? Math.round((durationMs / invocations) * 100) / 100 : 0,
    lambdaCpuMs: Math.round(cpuPerInvocation * 100) / 100,
    requestsWithoutCapacity: d.requestsWithoutCapacity,
    costPerMillion: { apiGateway: r4(apiGateway), lambda: r4(lambda), lambdaWallClock: r4(lambdaWallClock), dynamodb: r4(dynamodb), total: r4(apiGateway + lambda + dynamodb) },
  };
}
