/**
 * The local runtime in its own process, for the bench: the bench's clients run in the parent,
 * so this process's memory (VmHWM) and CPU are the runtime's alone. It counts what the service
 * does (DynamoDB requests and units through a meter on each function's client, API Gateway frames through the
 * frame log, Lambda invocations through the runtime's onInvocation hook) and answers the
 * parent's questions over IPC.
 *
 *   parent --{ type: 'snapshot' }--> host --{ type: 'snapshot', counters, memory }--> parent
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import type { FrameLog } from '../local/frame-log.js';
import type { InvocationReport } from '../local/lambda/protocol.js';
import { startLocalRuntime } from '../local/runtime.js';
import { startCountingManagementApi, type CountingManagementApi } from './counting-management-api.js';
import { emptyCounts, meterDynamoDb } from './dynamodb-meter.js';
import { procCpuMs } from './process-cpu.js';
import type { HostCounters, HostMessage, HostReady, MemorySample, ParentMessage } from './host-protocol.js';

/** 32 KB: API Gateway meters WebSocket messages in 32 KB increments. */
const MESSAGE_UNIT_BYTES = 32 * 1024;

function procStatusKb(pid: number | string, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The java process of DynamoDB Local: a child of this process (maybe under setpriv, which execs it). */
function javaPid(): number | undefined {
  try {
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const child of children) {
      const cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8');
      if (cmd.includes('DynamoDBLocal')) return Number(child);
    }
  } catch {
    // not Linux
  }
  return undefined;
}

async function main(): Promise<void> {
  // Each function keeps its own DynamoDB client (the SDK's default of 50 sockets, as in Lambda), on
  // which the runtime enforces that function's IAM policy; the meter counts them all into one.
  const dynamodbCounts = emptyCounts();
  const counters: HostCounters = {
    dynamodb: dynamodbCounts,
    frames: { in: 0, out: 0, inBytes: 0, outBytes: 0, inUnits: 0, outUnits: 0 },
    invocations: { total: 0, byFunction: {}, durationMs: 0, billedMbMs: 0 },
    cpuMs: 0,
    javaCpuMs: 0,
  };
  const frameLog: FrameLog = {
    frameIn: (_id, data) => {
      const bytes = Buffer.byteLength(data);
      counters.frames.in += 1;
      counters.frames.inBytes += bytes;
      counters.frames.inUnits += Math.max(1, Math.ceil(bytes / MESSAGE_UNIT_BYTES));
    },
    frameOut: (_id, data) => {
      const bytes = Buffer.byteLength(data);
      counters.frames.out += 1;
      counters.frames.outBytes += bytes;
      counters.frames.outUnits += Math.max(1, Math.ceil(bytes / MESSAGE_UNIT_BYTES));
    },
    note: () => {},
  };
  const context = JSON.parse(process.env.QOSGATE_BENCH_CONTEXT ?? '{}') as Record<string, unknown>;
  // Connections whose id starts with this prefix have no socket: the counting endpoint answers for them.
  const countingPrefix = process.env.QOSGATE_BENCH_COUNTING || undefined;
  const counting: CountingManagementApi | undefined = countingPrefix
    ? await startCountingManagementApi({ counted: (id) => id.startsWith(countingPrefix) })
    : undefined;
  const durations: Record<string, number[]> = {};
  // Bundled: the functions run their deploy bundles in execution environments, which report each invocation.
  const bundled = process.env.QOSGATE_BENCH_BUNDLED === '1';
  const reports: Record<string, InvocationReport[]> = {};
  let peakHeapUsed = 0;
  // Known once the runtime has read its template; no function runs before that.
  let memoryMbOf = (_id: string): number => NaN;
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    context,
    frameLog,
    schedules: false,
    log: { info: () => {}, warn: () => {}, error: (message, fields) => process.stderr.write(`runtime error: ${message} ${JSON.stringify(fields ?? {})}\n`) },
    // The meter is an object of this process: a bundled function's clients are in its own worker.
    ...(bundled
      ? { bundled: { onReport: (id: string, report: InvocationReport) => void (reports[id] ??= []).push(report) } }
      : { overrides: { sdkClient: (client) => (client instanceof DynamoDBClient ? (meterDynamoDb(client, dynamodbCounts) as typeof client) : client) } }),
    ...(counting ? { managementEndpoint: counting.origin } : {}),
    onInvocation: (id, ms) => {
      (durations[id] ??= []).push(ms);
      counters.invocations.total += 1;
      counters.invocations.byFunction[id] = (counters.invocations.byFunction[id] ?? 0) + 1;
      counters.invocations.durationMs += ms;
      // Lambda bills duration rounded up to the next millisecond, at the function's memory.
      counters.invocations.billedMbMs += Math.max(1, Math.ceil(ms)) * memoryMbOf(id);
    },
  });
  memoryMbOf = (id) => runtime.model.functions[id]?.memoryMb ?? NaN;
  counting?.forwardTo(runtime.callbackUrl);
  const java = javaPid();
  const sampler = setInterval(() => {
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  }, 250);
  sampler.unref();

  const memory = (): MemorySample => ({
    rssKb: procStatusKb(process.pid, 'VmRSS') ?? Math.round(process.memoryUsage().rss / 1024),
    peakRssKb: procStatusKb(process.pid, 'VmHWM') ?? 0,
    peakHeapUsedKb: Math.round(peakHeapUsed / 1024),
    ...(java !== undefined ? { javaRssKb: procStatusKb(java, 'VmRSS') ?? 0, javaPeakRssKb: procStatusKb(java, 'VmHWM') ?? 0 } : {}),
  });

  const send = (message: HostMessage) => process.send?.(message);
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    if (message.type === 'snapshot') {
      const cpu = process.cpuUsage();
      counters.cpuMs = (cpu.user + cpu.system) / 1000;
      counters.javaCpuMs = java === undefined ? 0 : (procCpuMs(java) ?? counters.javaCpuMs);
      send({ type: 'snapshot', seq: message.seq, counters: structuredClone(counters), memory: memory(), at: performance.now(), monotonicUs: Number(process.hrtime.bigint() / 1000n) });
    } else if (message.type === 'durations') {
      send({ type: 'durations', seq: message.seq, byFunction: durations, ...(bundled ? { reports } : {}) });
    } else if (message.type === 'counting') {
      send({ type: 'counting', seq: message.seq, stats: counting?.counts() ?? { posts: 0, distinct: 0, postedMoreThanOnce: 0, byType: {}, forwarded: 0 } });
    } else if (message.type === 'schedule') {
      runtime.runSchedule(message.functionId).then(
        (result) => send({ type: 'scheduled', seq: message.seq, result }),
        (error: unknown) => send({ type: 'scheduled', seq: message.seq, error: error instanceof Error ? error.message : String(error) }),
      );
    } else if (message.type === 'stop' && message.fast) {
      // Thousands of open connections would each get a $disconnect run: the bench does not need
      // them. DynamoDB Local is in memory, so nothing is lost by ending it at once.
      if (java !== undefined) {
        try {
          process.kill(java, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      process.exit(0);
    } else if (message.type === 'stop') {
      clearInterval(sampler);
      runtime.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  const ready: HostReady = {
    type: 'ready',
    url: runtime.url,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    tableNames: runtime.tableNames,
    environments: runtime.environments,
    pid: process.pid,
    ...(java !== undefined ? { javaPid: java } : {}),
    functions: Object.fromEntries(Object.entries(runtime.model.functions).map(([id, fn]) => [id, { timeoutSeconds: fn.timeoutSeconds, memoryMb: fn.memoryMb }])),
    ...(countingPrefix ? { counting: { prefix: countingPrefix } } : {}),
    mode: bundled ? 'bundled' : 'source',
  };
  send(ready);
  process.on('disconnect', () => {
    runtime.stop().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`runtime host: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
