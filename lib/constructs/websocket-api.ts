import { WebSocketApi, WebSocketStage, type WebSocketRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/routes.js';

export interface QosWebSocketApiProps {
  /** `$request.body.action` (ROUTE_SELECTION_EXPRESSION): a JSON frame names its route. */
  routeSelectionExpression: string;
  stageName: string;
}

/**
 * The WebSocket API and its one auto-deployed stage. Routes are added one per RouteSpec by
 * {@link addLambdaRoute}, `$connect`, `$disconnect` and `$default` included, so every route
 * comes from the route table the same way.
 */
export class QosWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: QosWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', { routeSelectionExpression: props.routeSelectionExpression });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
    });
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

  /** Routes `spec.routeKey` to `handler` (which API Gateway may then invoke for that route only). */
  addLambdaRoute(spec: Pick<RouteSpec, 'routeKey' | 'id'>, handler: IFunction): WebSocketRoute {
    const route = this.api.addRoute(spec.routeKey, {
      integration: new WebSocketLambdaIntegration(`${spec.id}Integration`, handler),
    });
    // API Gateway refuses to deploy a WebSocket API without routes; make the auto-deployed
    // stage wait for them so its first deployment already has them.
    this.stage.node.addDependency(route);
    return route;
  }

  /** execute-api:ManageConnections on this API's stage only (`{apiArn}/{stage}/POST/@connections/*` and friends). */
  grantManageConnections(grantee: IGrantable): Grant {
    return this.stage.grantManagementApiAccess(grantee);
  }
}
