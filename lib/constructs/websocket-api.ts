import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage, type IWebSocketRouteAuthorizer, type WebSocketRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, Role, ServicePrincipal, type Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/routes.js';

export interface QosWebSocketApiProps {
  /** `$request.body.action` (ROUTE_SELECTION_EXPRESSION): a JSON frame names its route. */
  routeSelectionExpression: string;
  stageName: string;
  /** Default route throttling of the stage: steady requests per second, and the burst. */
  throttle: { rateLimit: number; burstLimit: number };
  /** The stage's access log group. */
  accessLogs: { retention: RetentionDays; removalPolicy: RemovalPolicy };
}

/**
 * One access log line per WebSocket event (connect, message, disconnect), JSON so Logs
 * Insights can filter it. `$context.requestId` is required by API Gateway in every format.
 */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  error: '$context.error.message',
  ip: '$context.identity.sourceIp',
};

/**
 * The WebSocket API and its one auto-deployed stage, throttled and access-logged. Routes are
 * added one per RouteSpec by {@link addLambdaRoute}, `$connect`, `$disconnect` and
 * `$default` included, so every route comes from the route table the same way.
 */
export class QosWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly accessLogGroup: LogGroup;
  /** The API Gateway account setting that lets API Gateway write the access logs. */
  readonly account: CfnAccount;

  constructor(scope: Construct, id: string, props: QosWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', { routeSelectionExpression: props.routeSelectionExpression });
    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: props.accessLogs.retention, removalPolicy: props.accessLogs.removalPolicy });
    this.account = apiGatewayAccount(this);
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });
    // A WebSocket stage with access logs deploys only once the account has its logging role.
    this.stage.node.addDependency(this.account);
  }

  /** `wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: what clients connect to. */
  get url(): string {
    return this.stage.url;
  }

  /**
   * `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where functions post to
   * connections. Built from the API id and the literal stage name, not from the stage
   * resource, so giving it to a route's own function makes no dependency cycle.
   */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /**
   * Routes `spec.routeKey` to `handler` (which API Gateway may then invoke for that route only),
   * behind `authorizer` where given (API Gateway allows one on `$connect` only).
   */
  addLambdaRoute(spec: Pick<RouteSpec, 'routeKey' | 'id'>, handler: IFunction, authorizer?: IWebSocketRouteAuthorizer): WebSocketRoute {
    const route = this.api.addRoute(spec.routeKey, {
      integration: new WebSocketLambdaIntegration(`${spec.id}Integration`, handler),
      ...(authorizer ? { authorizer } : {}),
    });
    // API Gateway refuses to deploy a WebSocket API without routes; make the auto-deployed
    // stage wait for them so its first deployment already has them.
    this.stage.node.addDependency(route);
    if (!authorizer) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          spec.routeKey === '$connect'
            ? 'qosgate:authRequired=false was chosen for this stage: $connect validates every handshake parameter and refuses with 400, ' +
              "and every frame route acts only within the caller's own session (keys are (sessionId, id))."
            : 'API Gateway allows an authorizer on $connect only; a WebSocket connection is authorized once, there, and the authorizer\'s ' +
              'grants reach every frame of the connection (requestContext.authorizer), which the frame routes enforce (FORBIDDEN).',
      });
    }
    return route;
  }

  /** execute-api:ManageConnections on this API's stage only (`{apiArn}/{stage}/POST/@connections/*` and friends). */
  grantManageConnections(grantee: IGrantable): Grant {
    return this.stage.grantManagementApiAccess(grantee);
  }
}

/**
 * WebSocket (unlike HTTP) APIs write access logs through the region's API Gateway account
 * setting, a role API Gateway assumes. It is one setting per account and region: this sets
 * it to a role of this stack, and both are retained on delete, so removing the stack never
 * leaves the setting pointing at a deleted role (another stack's APIs may be logging through it).
 */
function apiGatewayAccount(scope: Construct): CfnAccount {
  const role = new Role(scope, 'ApiGatewayLoggingRole', {
    assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
    description: 'qosgate: lets API Gateway write WebSocket access and execution logs to CloudWatch Logs',
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
  });
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for API Gateway's account logging role; it allows only CloudWatch Logs " +
      'writes and the role can be assumed only by apigateway.amazonaws.com.',
  });
  const account = new CfnAccount(scope, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
  account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return account;
}
