import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS, JoseTokenVerifier } from '../../../lambdas/adapters/jose/jose-token-verifier.js';
import { AUTH_ENV } from '../../../lambdas/config.js';
import { authorizerDeps } from '../../../lambdas/entry/authorizer-wiring.js';
import { silentLogger } from '../../../lambdas/ports/logger.js';

const SECRET = 'unit-secret-0123456789-0123456789-0123456789';
const secret = () => Promise.resolve(SECRET);

/** A token that expired `secondsAgo` seconds ago by this machine's clock (jose reads the same clock). */
function expiredSince(secondsAgo: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'u' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - secondsAgo)
    .sign(new TextEncoder().encode(SECRET));
}

const accepted = async (verifier: JoseTokenVerifier, token: string) => 'claims' in (await verifier.verify(token));

describe('JoseTokenVerifier clock tolerance', () => {
  it('accepts a token up to 30 s past its exp by default', async () => {
    expect(DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS).toBe(30);
    const verifier = JoseTokenVerifier.hs256(secret);
    expect(await accepted(verifier, await expiredSince(10))).toBe(true);
    expect(await accepted(verifier, await expiredSince(120))).toBe(false);
  });

  it('takes the tolerance it is given: 0 refuses any expired token, 300 accepts one 2 minutes past exp', async () => {
    expect(await accepted(JoseTokenVerifier.hs256(secret, { clockToleranceSeconds: 0 }), await expiredSince(10))).toBe(false);
    expect(await accepted(JoseTokenVerifier.hs256(secret, { clockToleranceSeconds: 300 }), await expiredSince(120))).toBe(true);
  });

  it('the Authorizer reads it from JWT_CLOCK_TOLERANCE_SECONDS, and refuses a bad value at cold start', async () => {
    const env = (value: string) => ({ [AUTH_ENV.localSecret]: SECRET, [AUTH_ENV.clockToleranceSeconds]: value });
    const strict = authorizerDeps(env('0'), { log: silentLogger }).verifier;
    expect('claims' in (await strict.verify(await expiredSince(10)))).toBe(false);
    const lenient = authorizerDeps(env('300'), { log: silentLogger }).verifier;
    expect('claims' in (await lenient.verify(await expiredSince(120)))).toBe(true);
    for (const bad of ['-1', '1.5', 'soon', '301']) {
      expect(() => authorizerDeps(env(bad), { log: silentLogger })).toThrow(`${AUTH_ENV.clockToleranceSeconds} must be a whole number of seconds from 0 to 300, got "${bad}"`);
    }
  });
});
