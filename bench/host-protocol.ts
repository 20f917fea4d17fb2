import type { DynamoDbCounts } from './dynamodb-meter.js';

/** What the runtime host counts, cumulatively since it started. */
export interface HostCounters {
  dynamodb: DynamoDbCounts;
  /** API Gateway messages: frames clients sent (in) and frames sent to clients (out), and their 32 KB units. */
  frames: { in: number; out: number; inBytes: number; outBytes: number; inUnits: number; outUnits: number };
  /** Lambda invocations and their in-process wall-clock duration. */
  invocations: { total: number; byFunction: Record<string, number>; durationMs: number; billedMs: number };
  /** CPU time (user + system) of the runtime process so far, in ms. */
  cpuMs: number;
}

export interface MemorySample {
  /** The runtime host's (Node: gateway + handlers) resident set now and at its peak (VmHWM). */
  rssKb: number;
  peakRssKb: number;
  peakHeapUsedKb: number;
  /** DynamoDB Local (java), a separate process. */
  javaRssKb?: number;
  javaPeakRssKb?: number;
}

export interface HostReady {
  type: 'ready';
  url: string;
  dynamodbEndpoint: string;
  tableNames: Record<string, string>;
  environments: Record<string, Record<string, string>>;
  pid: number;
  javaPid?: number;
}

export interface HostSnapshot {
  type: 'snapshot';
  seq: number;
  counters: HostCounters;
  memory: MemorySample;
  at: number;
}

export type HostMessage = HostReady | HostSnapshot;
export type ParentMessage = { type: 'snapshot'; seq: number } | { type: 'stop'; fast?: boolean };
