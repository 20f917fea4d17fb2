import type { AppDeps } from '../app/deps.js';
import { sweepForWindow, type SweepStats } from '../app/resend-sweep.js';
import type { SweepConfig } from '../config.js';

/** The Lambda context's one method the sweep needs. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/**
 * The scheduled resend handler (EventBridge, rate(1 minute)): sweeps what is due every
 * `intervalMs` for `windowMs` of its minute.
 */
export function createResendHandler(
  deps: AppDeps,
  config: SweepConfig,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): (event: unknown, context?: RemainingTime) => Promise<SweepStats> {
  return async (_event, context) => {
    const remaining = () => context?.getRemainingTimeInMillis() ?? config.windowMs;
    const stats = await sweepForWindow(deps, config, remaining, sleep);
    deps.log.info('Sweep', { ...stats });
    return stats;
  };
}
