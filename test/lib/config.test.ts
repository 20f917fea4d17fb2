import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { POLICY_ENV, SWEEP_ENV } from '../../lambdas/config.js';
import { CONTEXT_KEYS, DEFAULT_STAGE_NAME, configFromContext, policyEnvironment, resolveConfig, sweepEnvironment, sweepWindowMs } from '../../lib/config.js';

describe('resolveConfig', () => {
  it('defaults to the dev stage and no overrides', () => {
    expect(resolveConfig()).toEqual({ stageName: DEFAULT_STAGE_NAME, policy: {}, sweep: {} });
    expect(DEFAULT_STAGE_NAME).toBe('dev');
  });

  it('keeps valid overrides', () => {
    const config = resolveConfig({ stageName: 'prod_2', policy: { ackTimeoutMs: 5000 }, sweep: { shards: 8 } });
    expect(config).toEqual({ stageName: 'prod_2', policy: { ackTimeoutMs: 5000 }, sweep: { shards: 8 } });
  });

  it.each(['', 'has space', 'a/b', 'x'.repeat(129)])('refuses the stage name %j', (stageName) => {
    expect(() => resolveConfig({ stageName })).toThrow(/stage name/);
  });

  it('refuses an unknown setting, so a typo fails the synth', () => {
    expect(() => resolveConfig({ policy: { ackTimoutMs: 1 } as never })).toThrow(/unknown policy setting "ackTimoutMs"/);
    expect(() => resolveConfig({ sweep: { shard: 1 } as never })).toThrow(/unknown sweep setting "shard"/);
  });

  it.each([0, -1, 1.5, '10', Number.NaN])('refuses %j where the Lambdas need a positive integer', (value) => {
    expect(() => resolveConfig({ policy: { attemptLimit: value as number } })).toThrow(/positive integer/);
  });
});

describe('configFromContext', () => {
  it('reads objects from cdk.json and JSON strings from -c', () => {
    const app = new App({
      context: {
        [CONTEXT_KEYS.stageName]: 'prod',
        [CONTEXT_KEYS.policy]: { attemptLimit: 5 },
        [CONTEXT_KEYS.sweep]: '{"shards":8}',
      },
    });
    expect(configFromContext(app.node)).toEqual({ stageName: 'prod', policy: { attemptLimit: 5 }, sweep: { shards: 8 } });
  });

  it('refuses a context value that is not a JSON object', () => {
    const app = new App({ context: { [CONTEXT_KEYS.policy]: '[1]' } });
    expect(() => configFromContext(app.node)).toThrow(/must be a JSON object/);
  });
});

describe('environment', () => {
  it('names only the values that were set, by the Lambdas variable names', () => {
    expect(policyEnvironment({})).toEqual({});
    expect(policyEnvironment({ ackTimeoutMs: 5000 })).toEqual({ [POLICY_ENV.ackTimeoutMs]: '5000' });
    expect(sweepEnvironment({ shards: 8, windowMs: 30_000 })).toEqual({ [SWEEP_ENV.shards]: '8', [SWEEP_ENV.windowMs]: '30000' });
  });

  it('knows the sweep window in effect', () => {
    expect(sweepWindowMs({})).toBe(50_000);
    expect(sweepWindowMs({ windowMs: 30_000 })).toBe(30_000);
  });
});
