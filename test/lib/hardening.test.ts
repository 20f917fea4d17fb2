import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import { AUTHORIZER, FANOUT_PAGE, RESEND, ROUTES, SINK } from '../../lambdas/routes.js';
import { ACCESS_LOG_FORMAT } from '../../lib/constructs/websocket-api.js';
import type { QosgateConfigInput } from '../../lib/config.js';
import { QosgateStack } from '../../lib/qosgate-stack.js';

/**
 * Issue 5, asserted resource by resource: tables (on-demand, PITR, encryption, retention by
 * stage), explicit log groups with retention, the stage's throttling and access logs.
 * Bundling is skipped: nothing here depends on the code assets.
 */

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] };

const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];
const ALL_FUNCTIONS = [...ROUTES.map((r) => r.id), RESEND.id, AUTHORIZER.id, FANOUT_PAGE.id, SINK.id];

function build(config: QosgateConfigInput) {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new QosgateStack(app, 'Qosgate', { config });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const fnOf = (id: string) =>
    id === RESEND.id
      ? stack.resend.handler
      : id === AUTHORIZER.id
        ? stack.connectAuthorizer!.handler
        : id === FANOUT_PAGE.id
          ? stack.fanout.worker
          : id === SINK.id
            ? stack.sink!.handler
            : stack.routeFunctions.all.find((f) => f.id === id)!.fn;
  return { stack, template, resources, logicalId, fnOf };
}

let dev: ReturnType<typeof build>;
let prod: ReturnType<typeof build>;

beforeAll(() => {
  dev = build({});
  prod = build({ stageName: 'prod', logRetentionDays: 365, logLevel: 'WARN', throttle: { rateLimit: 200, burstLimit: 100 } });
}, 60_000);

describe('tables', () => {
  it.each(TABLE_NAMES)('%s is on-demand, with point-in-time recovery and an explicit DynamoDB-owned encryption key', (name) => {
    const table = dev.resources[dev.logicalId(dev.stack.storage.tables[name])]!;
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    for (const replica of table.Properties.Replicas as Array<Record<string, any>>) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    // SSEEnabled false is DynamoDB's "AWS owned key": encrypted at rest, no KMS key or charge.
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: false });
  });

  it.each(TABLE_NAMES)('%s goes with a dev stack, and has no deletion protection there', (name) => {
    const table = dev.resources[dev.logicalId(dev.stack.storage.tables[name])]!;
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.UpdateReplacePolicy).toBe('Delete');
    for (const replica of table.Properties.Replicas as Array<Record<string, any>>) expect(replica.DeletionProtectionEnabled).toBe(false);
  });

  it.each(TABLE_NAMES)('%s is kept on the prod stage: retained and deletion-protected', (name) => {
    const table = prod.resources[prod.logicalId(prod.stack.storage.tables[name])]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    for (const replica of table.Properties.Replicas as Array<Record<string, any>>) expect(replica.DeletionProtectionEnabled).toBe(true);
  });
});

describe('function log groups', () => {
  it('one explicit log group per function, and no other function log group', () => {
    // Functions' groups plus the stage's access log group and the sink's Firehose delivery log group.
    dev.template.resourceCountIs('AWS::Logs::LogGroup', ALL_FUNCTIONS.length + 2);
  });

  it.each(ALL_FUNCTIONS)('%s logs JSON at INFO to its own group, kept 30 days by default', (id) => {
    const fn = dev.resources[dev.logicalId(dev.fnOf(id))]!;
    expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
    const groupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
    const group = dev.resources[groupId]!;
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties.RetentionInDays).toBe(30);
    expect(group.DeletionPolicy).toBe('Delete');
  });

  it.each(ALL_FUNCTIONS)('%s logs at the configured level, kept the configured days on prod, retained', (id) => {
    const fn = prod.resources[prod.logicalId(prod.fnOf(id))]!;
    expect(fn.Properties.LoggingConfig.ApplicationLogLevel).toBe('WARN');
    const group = prod.resources[fn.Properties.LoggingConfig.LogGroup.Ref as string]!;
    expect(group.Properties.RetentionInDays).toBe(365);
    expect(group.DeletionPolicy).toBe('Retain');
  });
});

describe('WebSocket stage', () => {
  it('throttles every route by default (1000 rps, burst 500)', () => {
    const stage = dev.resources[dev.logicalId(dev.stack.webSocket.stage)]!;
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500 });
  });

  it('takes its throttling from the configuration', () => {
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 100 },
    });
  });

  it('writes JSON access logs, with the request id, to its own log group with the configured retention', () => {
    const stage = dev.resources[dev.logicalId(dev.stack.webSocket.stage)]!;
    const groupId = dev.logicalId(dev.stack.webSocket.accessLogGroup);
    expect(stage.Properties.AccessLogSettings).toEqual({ DestinationArn: { 'Fn::GetAtt': [groupId, 'Arn'] }, Format: JSON.stringify(ACCESS_LOG_FORMAT) });
    expect(ACCESS_LOG_FORMAT.requestId).toBe('$context.requestId');
    expect(dev.resources[groupId]!.Properties.RetentionInDays).toBe(30);
  });

  it("sets the account's API Gateway logging role first, and keeps both when the stack goes", () => {
    const accountId = dev.stack.getLogicalId(dev.stack.webSocket.account);
    const account = dev.resources[accountId]!;
    expect(account.Type).toBe('AWS::ApiGateway::Account');
    expect(account.DeletionPolicy).toBe('Retain');
    const role = dev.resources[account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0] as string]!;
    expect(role.DeletionPolicy).toBe('Retain');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }),
    ]);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    expect(dev.resources[dev.logicalId(dev.stack.webSocket.stage)]!.DependsOn).toContain(accountId);
  });
});
