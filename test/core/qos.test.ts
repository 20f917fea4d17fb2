import { describe, expect, it } from 'vitest';
import { effectiveQos, grantedQos } from '../../lambdas/core/qos.js';
import type { Qos } from '../../lambdas/core/types.js';

describe('effective QoS (PROTOCOL §4)', () => {
  const levels: Qos[] = [0, 1, 2];
  it('is the minimum of asked, claimed and subscription', () => {
    for (const asked of levels)
      for (const claimedQos of levels)
        for (const subscriptionQos of levels) {
          expect(effectiveQos(asked, { claimedQos, subscriptionQos })).toBe(Math.min(asked, claimedQos, subscriptionQos));
        }
  });

  it('ignores the subscription when the recipient came by controller (invokeToAll)', () => {
    expect(effectiveQos(2, { claimedQos: 1 })).toBe(1);
  });

  it('gives a client that claimed nothing fire-and-forget', () => {
    expect(effectiveQos(2, { claimedQos: 0 })).toBe(0);
  });

  it('grants a subscription min(asked, claimed)', () => {
    expect(grantedQos(2, 1)).toBe(1);
    expect(grantedQos(0, 2)).toBe(0);
  });
});
