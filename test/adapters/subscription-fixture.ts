import type { Subscription } from '../../lambdas/core/types.js';

/** The contract suites' clock: far from any real time, so nothing depends on Date.now(). */
export const T0 = 4_000_000_000_000;
/** An hour after T0: when the contract suites' items expire. */
export const LATER = T0 + 3_600_000;

/** A live QoS 1 subscription of a clean, connected session (the contract suites' default). */
export function subscriptionOf(controller: string, topic: string, sessionId: string, overrides: Partial<Subscription> = {}): Subscription {
  return {
    controller,
    topic,
    sessionId,
    connectionId: `conn-of-${sessionId}`,
    sessionKind: 'clean',
    claimedQos: 1,
    format: 'json',
    subscriptionQos: 1,
    expiresAt: LATER,
    ...overrides,
  };
}
