import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { TokenVerifier } from '../../ports/token-verifier.js';

/**
 * Tokens may be this far past `exp` / before `nbf` by default (clock skew between the issuer and
 * Lambda); `qosgate:jwtClockToleranceSeconds` changes it (docs/reliability-security.md).
 */
export const DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS = 30;

/** Where the HS256 key comes from: read once per container, on the first token. */
export type SecretSource = () => Promise<string>;

export interface JoseTokenVerifierOptions {
  /** `iss` the token must carry (Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}`). */
  issuer?: string;
  /** `aud` the token must carry (Cognito ID tokens: the app client id). */
  audience?: string;
  /**
   * Seconds a token may be past `exp` / before `nbf` (clock skew between issuer and Lambda);
   * default {@link DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS} (30), `qosgate:jwtClockToleranceSeconds` sets it.
   */
  clockToleranceSeconds?: number;
}

/**
 * JWT verification with `jose`, HS256 with a shared secret or RS256 with a JWKS:
 *
 * - {@link JoseTokenVerifier.hs256}: the secret comes from a {@link SecretSource} (Secrets
 *   Manager in the cloud, an environment variable locally), fetched once and kept for the
 *   container's life; a failed fetch is retried on the next token.
 * - {@link JoseTokenVerifier.rs256}: keys from `createRemoteJWKSet(jwksUrl)`, which caches them
 *   and refetches on an unknown `kid` (so a Cognito user pool's key rotation just works).
 *
 * Only the expected algorithm is accepted (no `alg: none`, no HS/RS confusion), `exp` is
 * required, and a malformed or badly signed token is `{ invalid }`, never an exception.
 */
export class JoseTokenVerifier implements TokenVerifier {
  private constructor(
    private readonly key: () => Promise<Uint8Array | JWTVerifyGetKey>,
    private readonly options: JWTVerifyOptions,
  ) {}

  static hs256(secret: SecretSource, options: JoseTokenVerifierOptions = {}): JoseTokenVerifier {
    let key: Promise<Uint8Array> | undefined;
    const load = (): Promise<Uint8Array> => {
      key ??= secret().then(
        (value) => {
          if (value.length < 32) throw new Error('qosgate: the HS256 secret must be at least 32 characters');
          return new TextEncoder().encode(value);
        },
        (error: unknown) => {
          key = undefined; // try again on the next token
          throw error;
        },
      );
      return key;
    };
    return new JoseTokenVerifier(load, verifyOptions(['HS256'], options));
  }

  static rs256(jwksUrl: string, options: JoseTokenVerifierOptions = {}): JoseTokenVerifier {
    const jwks = createRemoteJWKSet(new URL(jwksUrl));
    return new JoseTokenVerifier(() => Promise.resolve(jwks), verifyOptions(['RS256'], options));
  }

  async verify(token: string): Promise<{ claims: Record<string, unknown> } | { invalid: string }> {
    const key = await this.key();
    try {
      const { payload } = typeof key === 'function' ? await jwtVerify(token, key, this.options) : await jwtVerify(token, key, this.options);
      return { claims: payload as Record<string, unknown> };
    } catch (error) {
      // jose's own errors are the token's fault; anything else (a JWKS fetch failing) is ours.
      if (error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout)) return { invalid: `${error.code}: ${error.message}` };
      throw error;
    }
  }
}

function verifyOptions(algorithms: string[], options: JoseTokenVerifierOptions): JWTVerifyOptions {
  return {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSeconds ?? DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
}
