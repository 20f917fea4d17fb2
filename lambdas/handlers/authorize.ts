import { checkConnect, grantsFromClaims, grantsToContext, type GrantsContext } from '../core/auth/grants.js';
import { HandshakeError } from '../core/errors.js';
import { connectToken, parseConnectParams } from '../core/frames/connect-params.js';
import type { Logger } from '../ports/logger.js';
import type { TokenVerifier } from '../ports/token-verifier.js';

/**
 * The `$connect` Lambda REQUEST authorizer's input, as API Gateway sends it for a WebSocket API
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html):
 * `methodArn` ends with `/$connect`; headers and query string as on `$connect` itself.
 */
export interface AuthorizerEvent {
  type?: 'REQUEST';
  methodArn: string;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext?: { connectionId?: string };
}

/** An IAM policy for `execute-api:Invoke` on the methodArn, with the grants as its context. */
export interface AuthorizerResult {
  principalId: string;
  policyDocument: { Version: '2012-10-17'; Statement: Array<{ Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }> };
  context?: GrantsContext;
}

/** API Gateway answers 401 when an authorizer fails with exactly this message. */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * PROTOCOL §1 token: the authorizer reads the token where `$connect` does (`token` in the
 * query, or `Authorization: Bearer`), has it verified, and decides:
 *
 *   no token, bad signature, expired, wrong issuer/audience, unreadable claims
 *                                  -> throw Error('Unauthorized')      (API Gateway: 401)
 *   clientId claim != clientId asked, or a controller asked that is not granted
 *                                  -> Deny                             (API Gateway: 403)
 *   otherwise                      -> Allow, context { clientId, controllers, actions }
 *                                     (every later event of the connection carries it, and
 *                                     the frame routes enforce it per frame: FORBIDDEN)
 *
 * A handshake whose other parameters are bad (400) is allowed here: `$connect` parses them
 * the same way and refuses it with 400, so the client learns what is wrong, and nothing is
 * granted. A failure of our own (the key cannot be read) is thrown as is: API Gateway answers
 * 500 and the handshake can be retried.
 */
export function createAuthorizeHandler(deps: { verifier: TokenVerifier; log: Logger }): (event: AuthorizerEvent) => Promise<AuthorizerResult> {
  return async (event) => {
    const connectionId = event.requestContext?.connectionId;
    let token: string | undefined;
    try {
      token = connectToken(event.queryStringParameters, event.headers);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      deps.log.info('Authorizer: refused', { connectionId, status: 401, reason: error.message });
      throw new Error(UNAUTHORIZED);
    }
    if (token === undefined) {
      deps.log.info('Authorizer: refused', { connectionId, status: 401, reason: 'no token' });
      throw new Error(UNAUTHORIZED);
    }
    const verified = await deps.verifier.verify(token);
    const grants = 'claims' in verified ? grantsFromClaims(verified.claims) : verified;
    if ('invalid' in grants) {
      deps.log.info('Authorizer: refused', { connectionId, status: 401, reason: grants.invalid });
      throw new Error(UNAUTHORIZED);
    }
    let decision: ReturnType<typeof checkConnect> = { allowed: true };
    try {
      decision = checkConnect(grants, parseConnectParams(event.queryStringParameters, event.headers));
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      // $connect answers this handshake 400 itself (same parser, same input).
    }
    if (!decision.allowed) deps.log.info('Authorizer: refused', { connectionId, status: 403, clientId: grants.clientId, reason: decision.reason });
    return {
      principalId: grants.clientId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: decision.allowed ? 'Allow' : 'Deny', Resource: event.methodArn }],
      },
      ...(decision.allowed ? { context: grantsToContext(grants) } : {}),
    };
  };
}
