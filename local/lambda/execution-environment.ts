import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ClientHook, FromWorker, InvocationContext, InvocationReport, SerializedError, ToWorker } from './protocol.js';

/** What an execution environment is started with. */
export interface EnvironmentSpec {
  functionName: string;
  /** The Node 22 binary. */
  nodePath: string;
  /** The built bootstrap (local/lambda/bootstrap-build.ts). */
  bootstrapPath: string;
  /** LAMBDA_TASK_ROOT: the bundle's copy, and the worker's cwd. */
  taskRoot: string;
  /** The template's Handler, `index.handler`. */
  handler: string;
  /** The worker's whole environment (local/lambda/lambda-environment.ts). */
  env: Record<string, string>;
  hook?: ClientHook;
  /** Each line the worker writes to stdout or stderr. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * An invocation failed in the function: the error it threw (name, message and stack kept), or
 * what Lambda reports for a timeout (`Sandbox.Timedout`) or a runtime that exited (`Runtime.ExitError`).
 */
export class LambdaFunctionError extends Error {
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    if (serialized.stack !== undefined) this.stack = serialized.stack;
  }
}

/** How an environment ended: killed by us (timeout, stop) or exited by itself (a crash). */
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * One Lambda execution environment: a Node 22 process running the bundle, one invocation at a
 * time. Init (the bundle's module-level code) runs once, at {@link start}; the environment then
 * stays warm until it times out, crashes or is stopped.
 */
export class ExecutionEnvironment {
  /** From spawn to the handler loaded, measured by the runtime (ms). */
  initMs = 0;
  /** As the worker reported it: `v22.x.y`. */
  nodeVersion = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private nextId = 1;
  private pending: { id: number; resolve: (value: unknown) => void; reject: (error: Error) => void; report?: (report: InvocationReport) => void } | undefined;

  private constructor(private readonly spec: EnvironmentSpec) {
    this.child = spawn(spec.nodePath, [spec.bootstrapPath], {
      cwd: spec.taskRoot,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = this.child[stream];
      if (source) createInterface({ input: source }).on('line', (line) => spec.onLine(line, stream));
    }
    this.exited = new Promise<Exit>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      // A spawn that fails (no binary) has no exit event, only error.
      this.child.once('error', () => {
        this.exit ??= { code: null, signal: null };
        resolve(this.exit);
      });
    });
    this.child.on('message', (message: FromWorker) => this.received(message));
    void this.exited.then((exit) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(
        new LambdaFunctionError({
          name: 'Runtime.ExitError',
          message: `Runtime exited with error: ${exit.signal ? `signal: ${exit.signal.toLowerCase().replace(/^sig/, '')}` : `exit status ${exit.code ?? 'unknown'}`}`,
        }),
      );
    });
  }

  /** Starts a worker and runs its init; rejects with the init error, which Lambda reports on the invocation that caused the cold start. */
  static async start(spec: EnvironmentSpec): Promise<ExecutionEnvironment> {
    const environment = new ExecutionEnvironment(spec);
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      environment.onInit = (message) => {
        if (message.type === 'ready') {
          environment.initMs = performance.now() - started;
          environment.nodeVersion = message.nodeVersion;
          resolve();
        } else reject(new LambdaFunctionError(message.error));
      };
      void environment.exited.then((exit) =>
        reject(new LambdaFunctionError({ name: 'Runtime.ExitError', message: `Runtime exited during init (${exit.signal ?? `exit status ${exit.code ?? 'unknown'}`})` })),
      );
      environment.post({ type: 'init', handler: spec.handler, ...(spec.hook ? { hook: spec.hook } : {}) });
    }).catch(async (error: unknown) => {
      await environment.kill();
      throw error;
    });
    environment.onInit = undefined;
    return environment;
  }

  private onInit: ((message: Extract<FromWorker, { type: 'ready' | 'init-error' }>) => void) | undefined;

  /** False once the process has exited (crashed, or killed by a timeout or stop). */
  get alive(): boolean {
    return this.exit === undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Runs one invocation. At `context.deadlineMs` the environment is killed (a frozen or endless
   * handler cannot be interrupted any other way) and the invocation fails as Lambda's does.
   * `onReport` is told what Lambda's REPORT line would say of it, before it settles.
   */
  invoke(event: unknown, context: InvocationContext, timeoutMs: number, onReport?: (report: InvocationReport) => void): Promise<unknown> {
    if (!this.alive) return Promise.reject(new Error(`${this.spec.functionName}: the environment has exited`));
    if (this.pending) return Promise.reject(new Error(`${this.spec.functionName}: an environment runs one invocation at a time`));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        onReport?.({ durationMs: timeoutMs, timedOut: true });
        // Failed once the environment is gone, so no later invocation can meet it.
        const error = new LambdaFunctionError({ name: 'Sandbox.Timedout', message: `RequestId: ${context.awsRequestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` });
        void this.kill().then(() => reject(error));
      }, Math.max(0, context.deadlineMs - Date.now()));
      this.pending = {
        id,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        ...(onReport ? { report: onReport } : {}),
      };
      this.post({ type: 'invoke', id, event, context });
    });
  }

  /** Kills the process and resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  private post(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  private received(message: FromWorker): void {
    if (message.type === 'ready' || message.type === 'init-error') {
      this.onInit?.(message);
      return;
    }
    const pending = this.pending;
    if (!pending || pending.id !== message.id) return;
    this.pending = undefined;
    pending.report?.(message.report);
    if (message.type === 'result') pending.resolve(message.value);
    else pending.reject(new LambdaFunctionError(message.error));
  }
}
