/**
 * The messages between the runtime and a worker (local/lambda/bootstrap.ts) over Node's IPC
 * channel (JSON). One worker is one Lambda execution environment: it runs one invocation at a time.
 *
 * ```
 *  runtime                              worker (Node 22)
 *     ── init { handler, hook? } ───────▶  require(LAMBDA_TASK_ROOT/index.js)   (the Init phase)
 *     ◀──────────── ready { initMs } ──   or init-error { error }
 *     ── invoke { id, event, context } ─▶  await handler(event, context)
 *     ◀── result { id, value, report } ─   or failure { id, error, report }
 * ```
 */

/**
 * What Lambda's REPORT log line says of one invocation, as the worker measured it around the
 * handler: its Duration and Max Memory Used, and the CPU it took (which Lambda does not print,
 * but which says how long the invocation would take on its memory's share of a vCPU).
 */
export interface InvocationReport {
  /** The handler's run, from the event in to its result (Lambda's Duration), ms. */
  durationMs: number;
  /** The worker's CPU meanwhile, user + system, ms. Absent for a timeout (the worker was killed). */
  cpuMs?: number;
  /** The worker's peak resident set so far (Lambda's Max Memory Used), MB. Absent for a timeout. */
  maxMemoryUsedMb?: number;
  /** The invocation ran into its timeout: `durationMs` is the timeout. */
  timedOut?: true;
}

/** An error as it crosses the process boundary: what Lambda reports as errorType / errorMessage / stackTrace. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** The Lambda context fields a worker rebuilds its context object from. */
export interface InvocationContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch milliseconds at which the invocation times out (getRemainingTimeInMillis counts down to it). */
  deadlineMs: number;
}

/** A module the worker imports at init; its `hookClient(client, arg)` is called once for every SDK client. */
export interface ClientHook {
  /** Absolute path of a JavaScript module (the runtime builds a TypeScript one first). */
  module: string;
  /** JSON passed as the second argument of every `hookClient` call. */
  arg?: unknown;
}

export type ToWorker =
  | { type: 'init'; /** `index.handler`: file and export, as the template's Handler. */ handler: string; hook?: ClientHook }
  | { type: 'invoke'; id: number; event: unknown; context: InvocationContext };

export type FromWorker =
  | { type: 'ready'; /** From process start to the handler loaded (the bundle's module-level code run). */ initMs: number; nodeVersion: string }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown; report: InvocationReport }
  | { type: 'failure'; id: number; error: SerializedError; report: InvocationReport };
