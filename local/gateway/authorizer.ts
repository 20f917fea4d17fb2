import type { HandshakeRequest } from './events.js';

/**
 * The `$connect` Lambda REQUEST authorizer's rules, as API Gateway applies them:
 *
 *   identity source missing or empty  -> 401, the authorizer is not called
 *   authorizer fails with "Unauthorized" -> 401
 *   authorizer fails otherwise, times out, or returns no valid policy -> 500
 *   policy does not Allow `execute-api:Invoke` on the methodArn (or Denies it) -> 403
 *   Allow -> the connection goes on to `$connect`; principalId and context reach every event
 *            of the connection under `requestContext.authorizer`
 *
 * Sources: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
 * (401 without a valid identity), https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
 * ("the client will receive a 401 or 403 response"), and the output format of
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * (context values are strings, numbers or booleans only, and templates see them stringified).
 */

/** What the authorizer decided. */
export type AuthorizerDecision =
  | { allow: true; authorizer: Record<string, string | number> }
  | { allow: false; statusCode: 401 | 403 | 500; message: string; detail?: string };

/** Whether every configured identity source is present and non-empty in the upgrade request. */
export function hasIdentity(identitySource: readonly string[], request: HandshakeRequest): boolean {
  return identitySource.every((source) => {
    const header = /^(?:route\.request|\$request)\.header\.(.+)$/i.exec(source);
    if (header?.[1]) {
      const wanted = header[1].toLowerCase();
      return Object.entries(request.headers).some(([name, value]) => name.toLowerCase() === wanted && value.trim() !== '');
    }
    const query = /^(?:route\.request|\$request)\.querystring\.(.+)$/i.exec(source);
    if (query?.[1]) {
      const value = request.query?.queryStringParameters[query[1]];
      return value !== undefined && value.trim() !== '';
    }
    // stageVariables.* and context.* have no local counterpart that can be missing.
    return true;
  });
}

/** The `{"message":...}` bodies API Gateway answers a refused handshake with. */
export const UNAUTHORIZED = 'Unauthorized';
export const FORBIDDEN = 'Forbidden';
export const INTERNAL_SERVER_ERROR = 'Internal server error';

/** Turns an authorizer's failure (a thrown error) into the refusal API Gateway answers with. */
export function decideOnFailure(error: unknown): AuthorizerDecision {
  // The documented way to refuse with 401 is failing with exactly "Unauthorized"
  // (`callback("Unauthorized")` in the docs' example; `throw new Error('Unauthorized')` in async code).
  const message = error instanceof Error ? error.message : String(error);
  if (message === UNAUTHORIZED) return { allow: false, statusCode: 401, message: UNAUTHORIZED };
  return { allow: false, statusCode: 500, message: INTERNAL_SERVER_ERROR, detail: `authorizer failed: ${message}` };
}

/** Reads an authorizer's output and applies its policy to `methodArn`. */
export function decideOnOutput(output: unknown, methodArn: string, integrationLatencyMs: number): AuthorizerDecision {
  if (output === null || typeof output !== 'object') {
    return { allow: false, statusCode: 500, message: INTERNAL_SERVER_ERROR, detail: 'authorizer returned no object' };
  }
  const { principalId, policyDocument, context } = output as { principalId?: unknown; policyDocument?: unknown; context?: unknown };
  const statements = statementsOf(policyDocument);
  if (!statements) return { allow: false, statusCode: 500, message: INTERNAL_SERVER_ERROR, detail: 'authorizer returned no policyDocument.Statement' };

  const applicable = statements.filter((s) => matchesAny(s.Action, 'execute-api:Invoke', true) && matchesAny(s.Resource, methodArn, false));
  const denied = applicable.some((s) => String(s.Effect).toLowerCase() === 'deny');
  const allowed = applicable.some((s) => String(s.Effect).toLowerCase() === 'allow');
  if (denied || !allowed) return { allow: false, statusCode: 403, message: FORBIDDEN, detail: denied ? 'policy denies $connect' : 'policy does not allow $connect' };

  const authorizer: Record<string, string | number> = {};
  if (context !== undefined && context !== null) {
    if (typeof context !== 'object') return { allow: false, statusCode: 500, message: INTERNAL_SERVER_ERROR, detail: 'authorizer context is not an object' };
    for (const [key, value] of Object.entries(context)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        // "You can't set a JSON object or array as a valid value of any key in the context map."
        return { allow: false, statusCode: 500, message: INTERNAL_SERVER_ERROR, detail: `authorizer context.${key} is not a string, number or boolean` };
      }
      authorizer[key] = String(value);
    }
  }
  if (principalId !== undefined && principalId !== null) authorizer.principalId = String(principalId);
  authorizer.integrationLatency = integrationLatencyMs;
  return { allow: true, authorizer };
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

function statementsOf(policyDocument: unknown): Statement[] | undefined {
  if (policyDocument === null || typeof policyDocument !== 'object') return undefined;
  const statement = (policyDocument as { Statement?: unknown }).Statement;
  if (Array.isArray(statement)) return statement.filter((s): s is Statement => s !== null && typeof s === 'object');
  if (statement !== null && typeof statement === 'object') return [statement as Statement];
  return undefined;
}

/**
 * IAM-style matching: `*` is any run of characters (slashes included), `?` any one; actions
 * ignore case, resources do not. So a REST-style resource with two wildcard segments after the
 * stage does NOT match `.../stage/$connect` (there is no second slash), the same trap as in AWS.
 */
function matchesAny(patterns: unknown, value: string, ignoreCase: boolean): boolean {
  const list = Array.isArray(patterns) ? patterns : [patterns];
  return list.some((p) => typeof p === 'string' && globToRegExp(p, ignoreCase).test(value));
}

function globToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '');
}
