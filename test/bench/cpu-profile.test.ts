import { describe, expect, it } from 'vitest';
import { cpuBreakdown, type CpuProfile } from '../../bench/cpu-profile.js';

/** A profile of five functions, one sample each 1 ms from t = 1,000,000 µs. */
function profile(sampled: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: { functionName: '(idle)', url: '' } },
      { id: 2, callFrame: { functionName: 'signRequest', url: 'file:///p/node_modules/@smithy/signature-v4/dist-cjs/index.js' } },
      { id: 3, callFrame: { functionName: 'resolveMiddleware', url: 'file:///p/node_modules/@smithy/core/dist-cjs/index.js' } },
      { id: 4, callFrame: { functionName: 'handOn', url: 'file:///p/lambdas/app/hand-on.ts' } },
      { id: 5, callFrame: { functionName: '(garbage collector)', url: '' } },
    ],
    startTime: 1_000_000,
    endTime: 1_000_000 + sampled.length * 1000,
    samples: sampled,
    timeDeltas: sampled.map(() => 1000),
  };
}

describe('cpuBreakdown (bench/cpu-profile.ts)', () => {
  it('adds up self time by part inside the stretch only, largest first, with the busy share', () => {
    // 10 samples at 1..10 ms; the stretch takes the ones at 3..8 ms.
    const p = profile([3, 3, 1, 3, 2, 4, 1, 5, 3, 3]);
    const b = cpuBreakdown(p, 1_003_000, 1_008_000);
    expect(b.wallMs).toBe(6);
    expect(b.byCategory).toEqual([
      { category: 'idle', ms: 2, share: 0.333 },
      { category: 'AWS SDK: the rest (middleware, serde, retry, endpoints)', ms: 1, share: 0.167 },
      { category: 'AWS SDK: signing (SigV4, hashes)', ms: 1, share: 0.167 },
      { category: 'qosgate functions (lambdas/)', ms: 1, share: 0.167 },
      { category: 'garbage collector', ms: 1, share: 0.167 },
    ]);
    expect(b.busy).toBe(0.667);
  });

  it('gives an empty breakdown for a stretch the profile does not cover', () => {
    expect(cpuBreakdown(profile([1, 2]), 5_000_000, 6_000_000)).toEqual({ wallMs: 0, busy: 0, byCategory: [] });
  });
});
