import { randomUUID } from 'node:crypto';
import type { LambdaContextLike } from '../gateway/types.js';
import { ExecutionEnvironment, type EnvironmentSpec } from './execution-environment.js';
import type { InvocationContext, InvocationReport } from './protocol.js';

/** Execution environments one function may have at once unless told otherwise. */
export const DEFAULT_MAX_ENVIRONMENTS = 4;

export interface FunctionPoolOptions {
  /** How each environment is started. */
  spec: EnvironmentSpec;
  /** The template's timeout. */
  timeoutMs: number;
  memoryMb: number;
  /** At most this many environments at once (default {@link DEFAULT_MAX_ENVIRONMENTS}); more invocations wait for one. */
  maxEnvironments?: number;
  /** Told of each cold start: the environment's init time and Node version. */
  onColdStart?: (environment: ExecutionEnvironment) => void;
  /** Told of each invocation what its environment measured (Lambda's REPORT line): not the wait for an environment. */
  onReport?: (report: InvocationReport) => void;
}

/**
 * A function's execution environments, as Lambda keeps them: an invocation takes an idle warm
 * one, or starts one (a cold start) while fewer than the bound exist, or waits for one to be
 * free. An environment that timed out or crashed is dropped: the next invocation cold-starts.
 */
export class FunctionPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private starting = 0;
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  private readonly max: number;

  constructor(private readonly options: FunctionPoolOptions) {
    this.max = options.maxEnvironments ?? DEFAULT_MAX_ENVIRONMENTS;
    if (!Number.isInteger(this.max) || this.max < 1) throw new Error(`maxEnvironments must be a whole number of at least 1, got ${this.max}`);
  }

  /** How many environments exist now (warm or busy). */
  get size(): number {
    return this.all.size;
  }

  /** Runs one invocation in an environment of its own for its duration. */
  async invoke(event: unknown, context?: Partial<LambdaContextLike>): Promise<unknown> {
    const environment = await this.acquire();
    const name = this.options.spec.functionName;
    const invocation: InvocationContext = {
      awsRequestId: context?.awsRequestId ?? randomUUID(),
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: (context as { invokedFunctionArn?: string } | undefined)?.invokedFunctionArn ?? `arn:aws:lambda:local:000000000000:function:${name}`,
      memoryLimitInMB: String(this.options.memoryMb),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: 'local',
      // Lambda counts the timeout from when the invocation starts in its environment: the wait
      // for a free one above (which Lambda would not have, it scales out) is not the function's.
      deadlineMs: Date.now() + this.options.timeoutMs,
    };
    try {
      return await environment.invoke(event, invocation, this.options.timeoutMs, this.options.onReport);
    } catch (error) {
      // Killed by stop() (a sweep still pausing, say): say so rather than report a crash.
      if (this.stopped) throw new Error(`${name}: the runtime stopped during this invocation (its environment was killed)`);
      throw error;
    } finally {
      this.release(environment);
    }
  }

  /** Kills every environment; invocations still waiting fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all([...this.all].map((environment) => environment.kill()));
    this.all.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.stopped) throw new Error(`${this.options.spec.functionName}: the runtime is stopping`);
      const warm = this.idle.pop();
      if (warm) {
        if (warm.alive) return warm;
        this.all.delete(warm);
        continue;
      }
      if (this.all.size + this.starting < this.max) {
        this.starting += 1;
        try {
          const environment = await ExecutionEnvironment.start(this.options.spec);
          if (this.stopped) {
            await environment.kill();
            continue;
          }
          this.all.add(environment);
          this.options.onColdStart?.(environment);
          return environment;
        } catch (error) {
          // The slot is free again: let a waiting invocation try its own cold start.
          this.waiting.shift()?.();
          throw error;
        } finally {
          this.starting -= 1;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(environment: ExecutionEnvironment): void {
    if (environment.alive && !this.stopped) this.idle.push(environment);
    else this.all.delete(environment);
    this.waiting.shift()?.();
  }
}
