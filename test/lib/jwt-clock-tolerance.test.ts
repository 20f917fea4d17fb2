import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AUTH_ENV } from '../../lambdas/config.js';
import { configFromContext, CONTEXT_KEYS, resolveConfig } from '../../lib/config.js';
import { readAppModel } from '../../local/template/app-model.js';
import { synthTemplate } from '../../local/template/synth.js';

describe('qosgate:jwtClockToleranceSeconds', () => {
  it('reaches the authorizer function as JWT_CLOCK_TOLERANCE_SECONDS (what `npm start -- --auth` runs with too)', () => {
    const template = synthTemplate({ context: { 'qosgate:authRequired': true, [CONTEXT_KEYS.jwtClockToleranceSeconds]: '5' } });
    const authorizer = readAppModel(template).functions.Authorizer;
    expect(authorizer?.environment[AUTH_ENV.clockToleranceSeconds]).toBe('5');
    // Unset: nothing on the function, the verifier's default (30 s) applies.
    const plain = readAppModel(synthTemplate({ context: { 'qosgate:authRequired': true } })).functions.Authorizer;
    expect(plain?.environment).not.toHaveProperty(AUTH_ENV.clockToleranceSeconds);
  }, 60_000);

  it('is read from context (-c string or cdk.json number) and checked at synth', () => {
    expect(configFromContext(new App({ context: { [CONTEXT_KEYS.jwtClockToleranceSeconds]: '0' } }).node).jwtClockToleranceSeconds).toBe(0);
    expect(resolveConfig({ jwtClockToleranceSeconds: 120 }).jwtClockToleranceSeconds).toBe(120);
    expect(resolveConfig()).not.toHaveProperty('jwtClockToleranceSeconds');
    for (const bad of [-1, 1.5, 301]) {
      expect(() => resolveConfig({ jwtClockToleranceSeconds: bad })).toThrow(`qosgate: jwtClockToleranceSeconds must be a whole number of seconds from 0 to 300, got ${bad}`);
    }
    expect(() => resolveConfig({ authRequired: false, jwtClockToleranceSeconds: 5 })).toThrow(/authRequired is false/);
  });
});
