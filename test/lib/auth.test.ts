import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AUTH_ENV } from '../../lambdas/config.js';
import { configFromContext } from '../../lib/config.js';
import { QosgateStack } from '../../lib/qosgate-stack.js';
import { AUTHORIZER_IDENTITY_SOURCE } from '../../lib/constructs/connect-authorizer.js';

/**
 * PROTOCOL §1 token, as deployed: a Lambda REQUEST authorizer on `$connect` (and only there),
 * on by default; HS256 with a generated secret that only the authorizer may read, or RS256
 * against a JWKS URL from context. Bundling is skipped: nothing here reads the code assets.
 */

type Resource = { Type: string; Properties: Record<string, any> };
const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new QosgateStack(app, 'Qosgate', { config: configFromContext(app.node) });
  const template = Template.fromStack(stack);
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  return { stack, template, resources: template.toJSON().Resources as Record<string, Resource>, logicalId };
}

const routeOf = (resources: Record<string, Resource>, key: string) => Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === key) as Resource;

describe('auth on (the default)', () => {
  const { stack, template, resources, logicalId } = build();
  const fn = stack.connectAuthorizer!.handler;

  it('puts a REQUEST authorizer running the Authorizer function on $connect, and on no other route', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    const [authorizerId, authorizer] = Object.entries(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!;
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST', IdentitySource: AUTHORIZER_IDENTITY_SOURCE });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(logicalId(fn));
    expect(routeOf(resources, '$connect').Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::ApiGatewayV2::Route' && x.Properties.RouteKey !== '$connect')) {
      expect(r.Properties.AuthorizerId).toBeUndefined();
    }
  });

  it('lets API Gateway invoke the authorizer', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] }, Principal: 'apigateway.amazonaws.com' });
  });

  it('generates the HS256 secret and names it to the authorizer only', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secretId = logicalId(stack.connectAuthorizer!.secret!);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }) });
    expect(resources[logicalId(fn)]!.Properties.Environment.Variables).toMatchObject({ [AUTH_ENV.secretArn]: { Ref: secretId } });
    const mentions = Object.entries(resources).filter(([id, r]) => id !== secretId && JSON.stringify(r).includes(`"Ref":"${secretId}"`));
    // The authorizer's environment, its policy, and the stack output: nobody else.
    expect(mentions.map(([, r]) => r.Type).sort()).toEqual(['AWS::IAM::Policy', 'AWS::Lambda::Function']);
    expect(template.toJSON().Outputs.JwtSecretArn.Value).toEqual({ Ref: secretId });
  });

  it("grants the authorizer reading that one secret and nothing else (no table, no connection)", () => {
    const roleRef = JSON.stringify({ Ref: logicalId(fn.role!) });
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === roleRef))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    for (const s of statements) expect(s.Resource).toEqual({ Ref: logicalId(stack.connectAuthorizer!.secret!) });
  });

  it('does not acknowledge APIG4 (no authorizer) on $connect any more; the frame routes keep theirs', () => {
    const connectMeta = JSON.stringify(stack.webSocket.api.node.findChild('$connect-Route').node.metadata);
    expect(connectMeta).not.toContain('AwsSolutions-APIG4');
    expect(JSON.stringify(stack.webSocket.api.node.findChild('publish-Route').node.metadata)).toContain('AwsSolutions-APIG4');
  });
});

describe('RS256 with a JWKS (Cognito)', () => {
  const jwksUrl = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json';
  const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc';
  const { stack, template, resources, logicalId } = build({ 'qosgate:jwksUrl': jwksUrl, 'qosgate:jwtIssuer': issuer, 'qosgate:jwtAudience': 'client-1' });

  it('passes the JWKS URL, issuer and audience to the authorizer, and makes no secret', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(resources[logicalId(stack.connectAuthorizer!.handler)]!.Properties.Environment.Variables).toMatchObject({
      [AUTH_ENV.jwksUrl]: jwksUrl,
      [AUTH_ENV.issuer]: issuer,
      [AUTH_ENV.audience]: 'client-1',
    });
  });
});

describe('auth off (qosgate:authRequired=false)', () => {
  const { stack, template, resources } = build({ 'qosgate:authRequired': false });

  it('has no authorizer, no secret and no Authorizer function', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(stack.connectAuthorizer).toBeUndefined();
    expect(routeOf(resources, '$connect').Properties.AuthorizationType ?? 'NONE').toBe('NONE');
  });
});
