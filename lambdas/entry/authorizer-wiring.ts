import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { JoseTokenVerifier } from '../adapters/jose/jose-token-verifier.js';
import { secretsManagerSecret } from '../adapters/jose/secrets-manager-secret.js';
import { PowertoolsLogger } from '../adapters/powertools/powertools-logger.js';
import { AUTH_ENV, readJwtClockTolerance } from '../config.js';
import type { Logger } from '../ports/logger.js';
import { noopMetrics, type Metrics } from '../ports/metrics.js';
import type { TokenVerifier } from '../ports/token-verifier.js';
import { asIs } from './sdk-client-hook.js';
import type { WiringOverrides } from './wiring.js';

type Env = Record<string, string | undefined>;

// Apart from wiring.ts so that only the Authorizer's bundle carries jose and Secrets Manager.
/**
 * The Authorizer's dependencies, once per container: RS256 with the JWKS at JWKS_URL (issuer
 * and audience checked where set: a Cognito user pool's
 * `https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`), else HS256 with
 * the Secrets Manager secret JWT_SECRET_ARN (read on the first token, then kept), else HS256
 * with QOSGATE_JWT_SECRET from the host: only the local runtime runs without either, and in
 * Lambda a missing setting stops the function at cold start rather than accepting a guessable key.
 */
export function authorizerDeps(env: Env = process.env, overrides: WiringOverrides = {}): { verifier: TokenVerifier; log: Logger; metrics: Metrics } {
  const log = overrides.log ?? new PowertoolsLogger();
  const metrics = overrides.metrics ?? noopMetrics;
  if (overrides.tokenVerifier) return { verifier: overrides.tokenVerifier, log, metrics };
  const clockToleranceSeconds = readJwtClockTolerance(env);
  const checks = {
    ...(env[AUTH_ENV.issuer] ? { issuer: env[AUTH_ENV.issuer] } : {}),
    ...(env[AUTH_ENV.audience] ? { audience: env[AUTH_ENV.audience] } : {}),
    ...(clockToleranceSeconds !== undefined ? { clockToleranceSeconds } : {}),
  };
  const jwksUrl = env[AUTH_ENV.jwksUrl];
  if (jwksUrl) return { verifier: JoseTokenVerifier.rs256(jwksUrl, checks), log, metrics };
  const secretArn = env[AUTH_ENV.secretArn];
  if (secretArn) return { verifier: JoseTokenVerifier.hs256(secretsManagerSecret((overrides.sdkClient ?? asIs)(new SecretsManagerClient({})), secretArn), checks), log, metrics };
  if (env.AWS_LAMBDA_FUNCTION_NAME) throw new Error(`qosgate: the Authorizer needs ${AUTH_ENV.jwksUrl} or ${AUTH_ENV.secretArn}`);
  // The local runtime gives functions the template's environment only: the key is the host's.
  const local = overrides.jwtSecret ?? env[AUTH_ENV.localSecret] ?? process.env[AUTH_ENV.localSecret];
  if (!local) throw new Error(`qosgate: the Authorizer has no key: set ${AUTH_ENV.localSecret} (npm start -- --auth prints one)`);
  return { verifier: JoseTokenVerifier.hs256(() => Promise.resolve(local), checks), log, metrics };
}
