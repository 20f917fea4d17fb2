import { randomUUID } from 'node:crypto';
import type { GatewayFunction } from './gateway/index.js';

/** A template rule, as read by the app model. */
export interface ScheduleSpec {
  functionId: string;
  expression: string;
  intervalMs?: number;
}

export interface Schedules {
  /**
   * Invokes a rule's function once now, as its rule does (a Scheduled Event, the function's
   * timeout as its remaining time), and resolves with what the handler returned. Runs beside a
   * timer's run of the same rule, as a second EventBridge target would; refused for a function
   * no rule invokes. The bench's sizing pass calls it with the timers off.
   */
  run(functionId: string): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Runs the template's EventBridge rules: each `rate(...)` rule invokes its function with a
 * Scheduled Event once at start and then every interval, never two invocations of one rule at
 * once (a late run is skipped, as a busy function would throttle). With `timers: false` nothing
 * runs by itself, only what `run()` asks for. `stop()` waits for runs in flight, so nothing is
 * left half done when the runtime exits.
 */
export function startSchedules(
  specs: ScheduleSpec[],
  functions: Record<string, GatewayFunction>,
  onError: (error: unknown) => void,
  options: { timers?: boolean } = {},
): Schedules {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  const invoke = (fn: GatewayFunction): Promise<unknown> => {
    const started = Date.now();
    const run = fn.handler(scheduledEvent(), {
      awsRequestId: randomUUID(),
      functionName: fn.name,
      // Once stopping, the time is up: a sweeping resend function ends after its current pause.
      getRemainingTimeInMillis: () => (stopped ? 0 : Math.max(0, fn.timeoutMs - (Date.now() - started))),
    });
    running.add(run);
    void run.then(
      () => running.delete(run),
      () => running.delete(run),
    );
    return run;
  };

  const scheduled = new Map<string, GatewayFunction>();
  for (const spec of specs) {
    const fn = functions[spec.functionId];
    if (!fn || spec.intervalMs === undefined) {
      onError(new Error(`schedule ${spec.expression} for ${spec.functionId} is not supported locally`));
      continue;
    }
    scheduled.set(spec.functionId, fn);
    if (options.timers === false) continue;
    let busy = false;
    const fire = (): void => {
      if (stopped || busy) return;
      busy = true;
      invoke(fn)
        .then(
          () => undefined,
          (error: unknown) => onError(error),
        )
        .finally(() => {
          busy = false;
        });
    };
    fire();
    timers.push(setInterval(fire, spec.intervalMs));
  }

  return {
    async run(functionId) {
      const fn = scheduled.get(functionId);
      if (!fn) throw new Error(`no schedule invokes ${functionId}: the template's rules invoke ${[...scheduled.keys()].join(', ') || 'nothing'}`);
      if (stopped) throw new Error(`the schedules have stopped: ${functionId} was not invoked`);
      return invoke(fn);
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      // A run that is sending finishes within moments; one that is pausing between sweeps sees
      // its time is up when it wakes and touches nothing more, so it is not waited for.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([Promise.allSettled([...running]), grace]);
    },
  };
}

/** EventBridge's Scheduled Event, as a rule delivers it to Lambda. */
function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    resources: [],
    detail: {},
  };
}
