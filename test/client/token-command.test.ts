import { PassThrough } from 'node:stream';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { LOCAL_DEV_JWT_SECRET } from '../../lambdas/config.js';
import { grantsFromClaims } from '../../lambdas/core/auth/grants.js';

const run = async (argv: string[]) => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(argv, { stdout, stderr, stdin: new PassThrough(), signal: new AbortController().signal });
  return { code, out: out.trim(), err };
};

describe('qosgate token', () => {
  it('mints an HS256 token with the claims the authorizer reads', async () => {
    const secret = 'cli-secret-0123456789-0123456789-0123456789';
    const { code, out } = await run(['token', '--client-id', 'dev-7', '--controllers', 'monitor,sensor', '--actions', 'publish,subscribe', '--secret', secret, '--expires', '2h']);
    expect(code).toBe(0);
    expect(decodeProtectedHeader(out)).toMatchObject({ alg: 'HS256' });
    const { payload } = await jwtVerify(out, new TextEncoder().encode(secret));
    expect(grantsFromClaims(payload)).toEqual({ clientId: 'dev-7', controllers: ['monitor', 'sensor'], actions: ['publish', 'subscribe'] });
    expect(payload.exp! - payload.iat!).toBe(7200);
  });

  it('defaults to the local dev key (saying so) and to both actions', async () => {
    const saved = process.env.QOSGATE_JWT_SECRET;
    delete process.env.QOSGATE_JWT_SECRET;
    try {
      const { code, out, err } = await run(['token', '--client-id', 'dev-7', '--controllers', '*']);
      expect(code).toBe(0);
      expect(err).toContain('local dev key');
      await expect(jwtVerify(out, new TextEncoder().encode(LOCAL_DEV_JWT_SECRET))).resolves.toBeTruthy();
      expect(decodeJwt(out)).toMatchObject({ controllers: ['*'], actions: ['publish', 'subscribe'] });
    } finally {
      if (saved !== undefined) process.env.QOSGATE_JWT_SECRET = saved;
    }
  });

  it('has --help, and refuses bad input as usage errors', async () => {
    expect((await run(['token', '--help'])).out).toMatch(/^Usage: qosgate token --client-id/);
    expect((await run(['token', '--controllers', 'monitor'])).code).toBe(2);
    expect((await run(['token', '--client-id', 'a', '--controllers', 'monitor', '--actions', 'admin'])).err).toContain('--actions must be');
    expect((await run(['token', '--client-id', 'a', '--controllers', 'monitor', '--secret', 'short'])).err).toContain('at least 32');
  });
});
