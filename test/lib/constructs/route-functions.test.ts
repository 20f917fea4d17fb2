import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../lambdas/core/policy.js';
import { checkReleaseLease, ROUTE_TIMEOUT } from '../../../lib/constructs/route-functions.js';
import { synthTemplate } from '../../../local/template/synth.js';

describe('the pubrel lease against the route timeout', () => {
  const floor = 2 * ROUTE_TIMEOUT.toMilliseconds();

  it('accepts the default lease and any lease of at least twice the route timeout', () => {
    expect(DEFAULT_POLICY.releaseLeaseMs).toBeGreaterThanOrEqual(floor);
    expect(() => checkReleaseLease(floor)).not.toThrow();
  });

  it('refuses a shorter lease at synth, saying why', () => {
    expect(() => checkReleaseLease(floor - 1)).toThrow(/releaseLeaseMs must be at least 20000 .* got 19999: a shorter lease would let a re-run/);
    expect(() => synthTemplate({ context: { 'qosgate:policy': JSON.stringify({ releaseLeaseMs: 5000 }) } })).toThrow(/releaseLeaseMs must be at least 20000/);
  }, 60_000);
});
