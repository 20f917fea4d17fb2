import { randomUUID } from 'node:crypto';
import type { GatewayFunction } from './gateway/index.js';

/** A template rule, as read by the app model. */
export interface ScheduleSpec {
  functionId: string;
  expression: string;
  intervalMs?: number;
}

export interface Schedules {
  stop(): Promise<void>;
}

/**
 * Runs the template's EventBridge rules: each `rate(...)` rule invokes its function with a
 * Scheduled Event once at start and then every interval, never two invocations of one rule at
 * once (a late run is skipped, as a busy function would throttle). `stop()` waits for runs in
 * flight, so nothing is left half done when the runtime exits.
 */
export function startSchedules(specs: ScheduleSpec[], functions: Record<string, GatewayFunction>, onError: (error: unknown) => void): Schedules {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;

  for (const spec of specs) {
    const fn = functions[spec.functionId];
    if (!fn || spec.intervalMs === undefined) {
      onError(new Error(`schedule ${spec.expression} for ${spec.functionId} is not supported locally`));
      continue;
    }
    let busy = false;
    const fire = (): void => {
      if (stopped || busy) return;
      busy = true;
      const started = Date.now();
      const run = fn
        .handler(scheduledEvent(), {
          awsRequestId: randomUUID(),
          functionName: fn.name,
          // Once stopping, the time is up: a sweeping resend function ends after its current pause.
          getRemainingTimeInMillis: () => (stopped ? 0 : Math.max(0, fn.timeoutMs - (Date.now() - started))),
        })
        .then(
          () => undefined,
          (error: unknown) => onError(error),
        )
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    fire();
    timers.push(setInterval(fire, spec.intervalMs));
  }

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      // A run that is sending finishes within moments; one that is pausing between sweeps sees
      // its time is up when it wakes and touches nothing more, so it is not waited for.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([Promise.all([...running]), grace]);
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
