import { Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AUTH_ENV } from '../../lambdas/config.js';
import type { RouteSpec } from '../../lambdas/routes.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';
import { ROUTE_TIMEOUT } from './route-functions.js';

/**
 * API Gateway calls a WebSocket REQUEST authorizer only when EVERY identity source is present
 * (a missing one is a 401 without calling it), and WebSocket authorizers do not cache, so the
 * identity source is only that gate. qosgate's token may be in either of two places (`token`
 * in the query, or `Authorization: Bearer`), and naming either would refuse the other; so the
 * gate is the `Host` header, which every HTTP/1.1 request carries, and the authorizer itself
 * answers 401 when neither place holds a token.
 */
export const AUTHORIZER_IDENTITY_SOURCE = ['route.request.header.Host'];

export interface ConnectAuthorizerProps {
  spec: Omit<RouteSpec, 'routeKey'>;
  /** RS256 against this JWKS (Cognito works); without it HS256 with a generated secret. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Seconds of clock skew tolerated on `exp` / `nbf`; unset: the authorizer's default (30). */
  clockToleranceSeconds?: number;
  logs: FunctionLogs;
  /** What happens to the HS256 secret when the stack goes (kept on a production stage). */
  secretRemovalPolicy: RemovalPolicy;
}

/**
 * The `$connect` Lambda REQUEST authorizer (PROTOCOL §1 token): its function, and for HS256 the
 * Secrets Manager secret it verifies with; its only grant is reading that secret.
 */
export class ConnectAuthorizer extends Construct {
  readonly handler: QosFunction;
  readonly authorizer: WebSocketLambdaAuthorizer;
  /** The HS256 key (absent with a JWKS URL): `qosgate token --secret` signs with its value. */
  readonly secret?: Secret;

  constructor(scope: Construct, id: string, props: ConnectAuthorizerProps) {
    super(scope, id);
    const environment: Record<string, string> = {
      ...(props.jwksUrl !== undefined ? { [AUTH_ENV.jwksUrl]: props.jwksUrl } : {}),
      ...(props.issuer !== undefined ? { [AUTH_ENV.issuer]: props.issuer } : {}),
      ...(props.audience !== undefined ? { [AUTH_ENV.audience]: props.audience } : {}),
      ...(props.clockToleranceSeconds !== undefined ? { [AUTH_ENV.clockToleranceSeconds]: String(props.clockToleranceSeconds) } : {}),
    };
    this.handler = new QosFunction(this, props.spec.id, { entry: props.spec.entry, timeout: ROUTE_TIMEOUT, environment, logs: props.logs });
    if (props.jwksUrl === undefined) {
      this.secret = new Secret(this, 'JwtSecret', {
        description: 'qosgate: the HS256 key that signs client tokens (qosgate token --secret)',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        removalPolicy: props.secretRemovalPolicy,
      });
      this.secret.grantRead(this.handler);
      this.handler.addEnvironment(AUTH_ENV.secretArn, this.secret.secretArn);
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A rotated HS256 key invalidates every token signed with the old one at once, and qosgate has no key-id overlap for HS256; ' +
          'rotate by hand (update the secret, re-issue tokens; the authorizer reads it again in new containers), or use qosgate:jwksUrl (RS256) for rotating keys.',
      });
    }
    this.authorizer = new WebSocketLambdaAuthorizer('ConnectAuthorizer', this.handler, { identitySource: AUTHORIZER_IDENTITY_SOURCE });
  }
}
