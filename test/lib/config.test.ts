import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { FLOW_CONTROL_ENV, POLICY_ENV, SWEEP_ENV } from '../../lambdas/config.js';
import { CONTEXT_KEYS, DEFAULTS, DEFAULT_STAGE_NAME, configFromContext, firstSendsEnvironment, flowControlEnvironment, policyEnvironment, resolveConfig, sweepEnvironment, sweepWindowMs, DEFAULT_FANOUT_SETTINGS, DEFAULT_SINK_SETTINGS } from '../../lib/config.js';

describe('resolveConfig', () => {
  it('defaults to the dev stage and no overrides', () => {
    expect(resolveConfig()).toEqual({
      stageName: DEFAULT_STAGE_NAME,
      policy: {},
      sweep: {},
      logLevel: 'INFO',
      logRetentionDays: 30,
      sourceMaps: false,
      authRequired: true,
      retainData: false,
      resendAlarmThreshold: 100,
      throttle: { rateLimit: 1000, burstLimit: 500 },
      fanout: DEFAULT_FANOUT_SETTINGS,
      sink: DEFAULT_SINK_SETTINGS,
    });
    expect(DEFAULT_STAGE_NAME).toBe('dev');
  });

  it('keeps valid overrides', () => {
    const config = resolveConfig({ stageName: 'prod_2', policy: { ackTimeoutMs: 5000 }, sweep: { shards: 8 } });
    expect(config).toMatchObject({ stageName: 'prod_2', policy: { ackTimeoutMs: 5000 }, sweep: { shards: 8 } });
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

  it('takes flowControl lazy or strict, and refuses anything else at synth', () => {
    expect(resolveConfig({ flowControl: 'strict' }).flowControl).toBe('strict');
    expect(resolveConfig({ flowControl: 'lazy' }).flowControl).toBe('lazy');
    expect(resolveConfig()).not.toHaveProperty('flowControl');
    expect(() => resolveConfig({ flowControl: 'eager' as never })).toThrow(/flowControl must be one of lazy, strict, got "eager"/);
    // It is a key of its own, not a policy number.
    expect(() => resolveConfig({ policy: { flowControl: 'strict' } as never })).toThrow(/unknown policy setting "flowControl"/);
  });

  it('takes firstSends reference or marker, and refuses anything else at synth', () => {
    expect(resolveConfig({ firstSends: 'marker' }).firstSends).toBe('marker');
    expect(resolveConfig({ firstSends: 'reference' }).firstSends).toBe('reference');
    expect(resolveConfig()).not.toHaveProperty('firstSends');
    expect(firstSendsEnvironment(undefined)).toEqual({});
    expect(firstSendsEnvironment('marker')).toEqual({ FIRST_SENDS: 'marker' });
    expect(() => resolveConfig({ firstSends: 'markers' as never })).toThrow(/firstSends must be one of reference, marker, got "markers"/);
  });

  it('takes maxInflight 0 (flow control off), and nothing below it', () => {
    expect(resolveConfig({ policy: { maxInflight: 0 } }).policy).toEqual({ maxInflight: 0 });
    expect(() => resolveConfig({ policy: { maxInflight: -1 } })).toThrow(/maxInflight must be a positive integer or 0 \(off\)/);
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
    expect(configFromContext(app.node)).toMatchObject({ stageName: 'prod', policy: { attemptLimit: 5 }, sweep: { shards: 8 } });
  });

  it('reads qosgate:flowControl as a string, and refuses one that is neither mode', () => {
    expect(configFromContext(new App({ context: { [CONTEXT_KEYS.flowControl]: 'strict' } }).node).flowControl).toBe('strict');
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.flowControl]: 'off' } }).node)).toThrow(/flowControl must be one of lazy, strict/);
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.flowControl]: 1 } }).node)).toThrow(/must be a string/);
  });

  it('reads qosgate:firstSends as a string, and refuses one that is neither layout', () => {
    expect(configFromContext(new App({ context: { [CONTEXT_KEYS.firstSends]: 'marker' } }).node).firstSends).toBe('marker');
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.firstSends]: 'sparse' } }).node)).toThrow(/firstSends must be one of reference, marker/);
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
    expect(flowControlEnvironment(undefined)).toEqual({});
    expect(flowControlEnvironment('strict')).toEqual({ [FLOW_CONTROL_ENV]: 'strict' });
  });

  it('knows the sweep window in effect', () => {
    expect(sweepWindowMs({})).toBe(50_000);
    expect(sweepWindowMs({ windowMs: 30_000 })).toBe(30_000);
  });
});

describe('deployment settings', () => {
  it('retains data on a production stage by default, and only there', () => {
    expect(resolveConfig({ stageName: 'prod' }).retainData).toBe(true);
    expect(resolveConfig({ stageName: 'production' }).retainData).toBe(true);
    expect(resolveConfig({ stageName: 'staging' }).retainData).toBe(false);
    expect(resolveConfig({ stageName: 'prod', retainData: false }).retainData).toBe(false);
    expect(resolveConfig({ stageName: 'dev', retainData: true }).retainData).toBe(true);
  });

  it('requires auth by default; the JWT settings need it, and a JWKS URL must be https', () => {
    expect(resolveConfig().authRequired).toBe(true);
    expect(resolveConfig({ authRequired: false }).authRequired).toBe(false);
    const jwksUrl = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json';
    expect(resolveConfig({ jwksUrl, jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', jwtAudience: 'app' })).toMatchObject({ jwksUrl, jwtAudience: 'app' });
    expect(() => resolveConfig({ authRequired: false, jwksUrl })).toThrow(/jwksUrl is set but authRequired is false/);
    expect(() => resolveConfig({ jwksUrl: 'http://example.com/jwks.json' })).toThrow(/jwksUrl must be an https:\/\/ URL/);
  });

  it.each([
    [{ logLevel: 'LOUD' as never }, /logLevel must be one of/],
    [{ logLevel: 'SILENT' as never }, /logLevel must be one of/],
    [{ logRetentionDays: 10 }, /logRetentionDays must be one of/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail is not an e-mail address/],
    [{ resendAlarmThreshold: 0 }, /resendAlarmThreshold must be a positive integer/],
    [{ throttle: { rateLimit: -1 } as never }, /throttle.rateLimit must be a positive integer/],
    [{ throttle: { rate: 5 } as never }, /unknown throttle setting "rate"/],
  ])('refuses %j', (partial, message) => {
    expect(() => resolveConfig(partial)).toThrow(message);
  });

  it('reads every key from context, -c strings included', () => {
    const app = new App({
      context: {
        [CONTEXT_KEYS.logLevel]: 'debug',
        [CONTEXT_KEYS.logRetentionDays]: '90',
        [CONTEXT_KEYS.sourceMaps]: 'true',
        [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
        [CONTEXT_KEYS.authRequired]: 'true',
        [CONTEXT_KEYS.jwksUrl]: 'https://example.com/.well-known/jwks.json',
        [CONTEXT_KEYS.jwtIssuer]: 'https://example.com',
        [CONTEXT_KEYS.jwtAudience]: 'qosgate',
        [CONTEXT_KEYS.retainData]: 'true',
        [CONTEXT_KEYS.resendAlarmThreshold]: 250,
        [CONTEXT_KEYS.throttle]: '{"rateLimit":50}',
      },
    });
    expect(configFromContext(app.node)).toMatchObject({
      logLevel: 'DEBUG',
      logRetentionDays: 90,
      sourceMaps: true,
      alarmEmail: 'ops@example.com',
      authRequired: true,
      jwksUrl: 'https://example.com/.well-known/jwks.json',
      jwtIssuer: 'https://example.com',
      jwtAudience: 'qosgate',
      retainData: true,
      resendAlarmThreshold: 250,
      throttle: { rateLimit: 50, burstLimit: DEFAULTS.throttle.burstLimit },
    });
  });

  it('refuses a boolean or number context value it cannot read', () => {
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.retainData]: 'yes' } }).node)).toThrow(/must be true or false/);
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.logRetentionDays]: 'a month' } }).node)).toThrow(/must be a number/);
  });
});
