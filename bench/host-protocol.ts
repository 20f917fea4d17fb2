import type { CountingStats } from './counting-management-api.js';
import type { InvocationReport } from '../local/lambda/protocol.js';
import type { DynamoDbCounts } from './dynamodb-meter.js';

/** What the runtime host counts, cumulatively since it started. */
export interface HostCounters {
  dynamodb: DynamoDbCounts;
  /** API Gateway messages: frames clients sent (in) and frames sent to clients (out), and their 32 KB units. */
  frames: { in: number; out: number; inBytes: number; outBytes: number; inUnits: number; outUnits: number };
  /**
   * Lambda invocations and their in-process wall-clock duration; `billedMbMs` sums each one's
   * duration rounded up to 1 ms times its function's memory in MB (the template's), as Lambda bills.
   */
  invocations: { total: number; byFunction: Record<string, number>; durationMs: number; billedMbMs: number };
  /** CPU time (user + system) of the runtime process so far, in ms. */
  cpuMs: number;
  /** CPU time (user + system) of DynamoDB Local's java process so far, in ms (0 where /proc is not there). */
  javaCpuMs: number;
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
  /** Each function's timeout and memory, from the synthesized template (by route-table id). */
  functions: Record<string, { timeoutSeconds: number; memoryMb: number }>;
  /** Present when the host runs with a counting management endpoint (startRuntimeHost's `counting`). */
  counting?: { prefix: string };
  /** What runs the functions: their source in the host process, or their deploy bundles in execution environments (startRuntimeHost's `bundled`). */
  mode: 'source' | 'bundled';
}

/** Every invocation's wall-clock duration so far (ms), by function id: for the Lambda sizing table. */
export interface HostDurations {
  type: 'durations';
  seq: number;
  byFunction: Record<string, number[]>;
  /** A bundled host's: every invocation's report from its execution environment (Lambda's REPORT line), by function id. */
  reports?: Record<string, InvocationReport[]>;
}

/** What the counting management endpoint has seen so far. */
export interface HostCounting {
  type: 'counting';
  seq: number;
  stats: CountingStats;
}

export interface HostSnapshot {
  type: 'snapshot';
  seq: number;
  counters: HostCounters;
  memory: MemorySample;
  at: number;
  /** The host's monotonic clock in µs (process.hrtime), the clock of its V8 CPU profile (bench/profile.ts). */
  monotonicUs: number;
}

/** What a scheduled function returned when the parent ran it once (LocalRuntime.runSchedule), or why it failed. */
export interface HostScheduled {
  type: 'scheduled';
  seq: number;
  result?: unknown;
  error?: string;
}

export type HostMessage = HostReady | HostSnapshot | HostDurations | HostCounting | HostScheduled;
export type ParentMessage =
  | { type: 'snapshot' | 'durations' | 'counting'; seq: number }
  | { type: 'schedule'; seq: number; functionId: string }
  | { type: 'stop'; fast?: boolean };
