/**
 * Checks a bearer token's signature, expiry and (where configured) issuer and audience, and
 * returns its claims. What the claims allow is the core's decision (core/auth/grants.ts).
 */
export interface TokenVerifier {
  /** The verified claims, or `{ invalid }` for a token that is bad, expired or not for us (401). */
  verify(token: string): Promise<{ claims: Record<string, unknown> } | { invalid: string }>;
}
