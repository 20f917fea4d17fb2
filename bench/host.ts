import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CountingStats } from './counting-management-api.js';
import type { InvocationReport } from '../local/lambda/protocol.js';
import type { HostCounting, HostDurations, HostMessage, HostReady, HostScheduled, HostSnapshot } from './host-protocol.js';

/** The parent's handle on the runtime host process (bench/runtime-host.ts). */
export interface RuntimeHost {
  ready: HostReady;
  snapshot(): Promise<HostSnapshot>;
  /** Every invocation's duration so far (ms) by function id. */
  durations(): Promise<Record<string, number[]>>;
  /** A bundled host's invocation reports so far, by function id (empty for a source-mode host). */
  reports(): Promise<Record<string, InvocationReport[]>>;
  /** What the counting management endpoint has counted (zeros without one). */
  counting(): Promise<CountingStats>;
  /** Invokes a scheduled function (the resend sweep) once, as its rule does, and resolves with what it returned. */
  runSchedule(functionId: string): Promise<unknown>;
  /** Waits until the runtime has been idle (no invocation, no frame) for `quietMs`. */
  settle(quietMs?: number, timeoutMs?: number): Promise<HostSnapshot>;
  /** Stops the runtime; `fast` ends it without the $disconnect of every open connection. */
  stop(options?: { fast?: boolean }): Promise<void>;
}

export interface RuntimeHostOptions {
  /**
   * Connections whose id starts with this have no socket: the runtime's functions post through a
   * counting management endpoint (bench/counting-management-api.ts) that counts and answers 200
   * for them, and passes every other request on to the gateway.
   */
  countingPrefix?: string;
  /** Run the host under V8's CPU profiler (`--cpu-prof`), writing the profile into this folder when it stops (bench/profile.ts). */
  cpuProfileDir?: string;
  /**
   * Run the deploy bundles in the runtime's bundled mode (each function in Node 22 execution
   * environments, one invocation at a time each, as Lambda does) and collect every invocation's
   * report. Nothing is metered then: the meter is an object of the host process (bench/bundled-sizing.ts).
   */
  bundled?: boolean;
}

export async function startRuntimeHost(context: Record<string, unknown> = {}, options: RuntimeHostOptions = {}): Promise<RuntimeHost> {
  const script = fileURLToPath(new URL('./runtime-host.ts', import.meta.url));
  const child: ChildProcess = fork(script, [], {
    execArgv: ['--import', 'tsx', ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])],
    env: { ...process.env, QOSGATE_BENCH_CONTEXT: JSON.stringify(context), QOSGATE_BENCH_COUNTING: options.countingPrefix ?? '', QOSGATE_BENCH_BUNDLED: options.bundled ? '1' : '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  type Answer = HostSnapshot | HostDurations | HostCounting | HostScheduled;
  const waiting = new Map<number, (m: Answer) => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<HostReady>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as HostMessage;
      if (message.type === 'ready') resolve(message);
      else {
        waiting.get(message.seq)?.(message);
        waiting.delete(message.seq);
      }
    });
    exited.then((code) => reject(new Error(`runtime host exited (${code}) before it was ready`)));
  });
  const ask = <T extends Answer>(type: 'snapshot' | 'durations' | 'counting' | 'schedule', fields: Record<string, unknown> = {}) =>
    new Promise<T>((resolve) => {
      seq += 1;
      waiting.set(seq, resolve as (m: Answer) => void);
      child.send({ type, seq, ...fields });
    });
  const snapshot = () => ask<HostSnapshot>('snapshot');
  return {
    ready,
    snapshot,
    durations: async () => (await ask<HostDurations>('durations')).byFunction,
    reports: async () => (await ask<HostDurations>('durations')).reports ?? {},
    counting: async () => (await ask<HostCounting>('counting')).stats,
    async runSchedule(functionId) {
      const answer = await ask<HostScheduled>('schedule', { functionId });
      if (answer.error !== undefined) throw new Error(`${functionId}: ${answer.error}`);
      return answer.result;
    },
    async settle(quietMs = 400, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      let last = await snapshot();
      for (;;) {
        await new Promise((r) => setTimeout(r, quietMs));
        const now = await snapshot();
        const same =
          now.counters.invocations.total === last.counters.invocations.total &&
          now.counters.frames.in === last.counters.frames.in &&
          now.counters.frames.out === last.counters.frames.out &&
          now.counters.dynamodb.requests === last.counters.dynamodb.requests;
        if (same || Date.now() > deadline) return now;
        last = now;
      }
    },
    async stop({ fast = false } = {}) {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop', fast });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
