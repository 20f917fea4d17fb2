import type { Prng } from './prng.js';

/** One concurrent invocation (a Lambda run, a client's action) under the scheduler. */
export interface Task {
  readonly id: number;
  /** Readable name for the trace, e.g. `pubrel#7 pub` or `$disconnect#3 s1/c4`. */
  readonly name: string;
  /** The kind of invocation, e.g. `pubrel`, `sweep`, `$disconnect`, `$connect`. */
  readonly kind: string;
  /** Whether the scheduler may crash it at a point (client-side actions never crash). */
  readonly crashable: boolean;
  state: 'running' | 'done' | 'crashed' | 'failed';
}

/** One step of a schedule: which task went on past which point, at what time. */
export interface TraceLine {
  step: number;
  time: number;
  task: string;
  text: string;
  /** What the call returned, where that is worth reading (filled in after the call). */
  result?: string;
}

interface Waiter {
  task: Task;
  label: string;
  resume: (line: TraceLine) => void;
}

/** How the scheduler crashes invocations: at most `budget` times, each point with `chance`. */
export interface CrashPolicy {
  budget: number;
  chance: number;
}

const NEVER = new Promise<never>(() => {});

/** Lets every pending microtask run: the in-memory stores use no timers, so this is "all settled". */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A deterministic scheduler for concurrent invocations, in the manner of deterministic
 * simulation testing: every store and gateway call awaits {@link Scheduler.point}, and the
 * scheduler lets exactly one waiting task go on at a time, picked by the seeded PRNG. Between
 * two points a task runs alone (what it does there touches nothing shared), so a schedule is
 * the sequence of picks, and replaying a seed replays it exactly.
 *
 * A crash is the simplest true one: the task is never resumed past the point it waits at, as a
 * Lambda that is killed (timeout, out of memory) never runs its next line.
 */
export class Scheduler {
  readonly trace: TraceLine[] = [];
  /** Invocations that threw out of their handler: a handler must never do that. */
  readonly failures: Array<{ task: string; error: string }> = [];
  private waiting: Waiter[] = [];
  private nextTaskId = 0;
  private step = 0;
  crash: CrashPolicy = { budget: 0, chance: 0 };

  /**
   * @param now the simulated clock
   * @param tick moves the clock on by one step's worth (1 ms): calls take time, so two
   *   invocations rarely see the same millisecond, as on AWS
   */
  constructor(
    private readonly rng: Prng,
    private readonly now: () => number,
    private readonly tick: () => void = () => {},
  ) {}

  /**
   * Starts a task. Its body begins only when the scheduler picks its `start` point, so the
   * order of spawns is not the order of running. `onDone` runs when the body returns (not
   * after a crash), `onCrash` when the scheduler crashes it.
   */
  spawn(
    kind: string,
    label: string,
    body: (task: Task) => Promise<void>,
    hooks: { crashable?: boolean; onDone?: () => void; onCrash?: () => void } = {},
  ): Task {
    const task: Task & { onCrash?: () => void } = {
      id: ++this.nextTaskId,
      name: `${kind}#${this.nextTaskId}${label ? ` ${label}` : ''}`,
      kind,
      crashable: hooks.crashable ?? true,
      state: 'running',
      ...(hooks.onCrash ? { onCrash: hooks.onCrash } : {}),
    };
    void this.point(task, 'start')
      .then(() => body(task))
      .then(
        () => {
          task.state = 'done';
          hooks.onDone?.();
        },
        (error: unknown) => {
          task.state = 'failed';
          this.failures.push({ task: task.name, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        },
      );
    return task;
  }

  /** Waits until the scheduler lets this task go on; resolves with the trace line of this step. */
  point(task: Task, label: string): Promise<TraceLine> {
    if (task.state === 'crashed') return NEVER;
    return new Promise((resume) => this.waiting.push({ task, label, resume }));
  }

  /** A line in the trace that is no task's step (a clock move, a phase). */
  note(text: string): void {
    this.trace.push({ step: this.step, time: this.now(), task: '-', text });
  }

  /** Runs waiting tasks one at a time, in seeded order, until none is left waiting. */
  async runToQuiescence(): Promise<void> {
    for (;;) {
      await drain();
      if (this.waiting.length === 0) return;
      const [waiter] = this.waiting.splice(this.rng.int(this.waiting.length), 1) as [Waiter];
      this.step += 1;
      this.tick();
      const { task, label } = waiter;
      if (task.crashable && this.crash.budget > 0 && this.rng.chance(this.crash.chance)) {
        this.crash.budget -= 1;
        task.state = 'crashed';
        this.trace.push({ step: this.step, time: this.now(), task: task.name, text: `CRASH before ${label}` });
        (task as { onCrash?: () => void }).onCrash?.();
        continue;
      }
      const line: TraceLine = { step: this.step, time: this.now(), task: task.name, text: label };
      this.trace.push(line);
      waiter.resume(line);
    }
  }

  get steps(): number {
    return this.step;
  }
}

/** The trace as text, one step a line. */
export function formatTrace(trace: TraceLine[]): string {
  return trace
    .map((l) => `${String(l.step).padStart(4)} t+${String(l.time - TRACE_EPOCH).padStart(6)}  ${l.task.padEnd(28)} ${l.text}${l.result !== undefined ? ` -> ${l.result}` : ''}`)
    .join('\n');
}

/** The simulated clock's start, so the trace shows small offsets. */
export const TRACE_EPOCH = 4_000_000_000_000;
