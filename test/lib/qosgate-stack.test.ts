import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import { CALLBACK_URL_ENV, FANOUT_ENV, FANOUT_QUEUE_URL_ENV, FIRST_SENDS_ENV, FLOW_CONTROL_ENV, POLICY_ENV, SINK_ENV, SWEEP_ENV } from '../../lambdas/config.js';
import { HANDS_ON_A_PAGE_MB, RESEND, ROUTES, ROUTE_SELECTION_EXPRESSION, type RouteSpec } from '../../lambdas/routes.js';
import { QosgateStack } from '../../lib/qosgate-stack.js';

/**
 * The stack as `npx cdk synth` builds it (same feature flags, real esbuild bundling), asserted
 * resource by resource against the route table and the table schema it is built from.
 */

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string };

const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;
const ALL_FUNCTIONS: Array<Omit<RouteSpec, 'routeKey'> & { routeKey?: string }> = [...ROUTES, RESEND];
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

let app: App;
let stack: QosgateStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  app = new App({ context: CDK_CONTEXT });
  stack = new QosgateStack(app, 'Qosgate');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
}, 180_000);

function logicalId(construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function functionOf(spec: { routeKey?: string; id: string }) {
  return spec.routeKey === undefined ? stack.resend.handler : stack.routeFunctions.functionFor({ routeKey: spec.routeKey });
}

function resource(id: string): Resource {
  const found = resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
}

const apiRef = () => ({ Ref: logicalId(stack.webSocket.api) });
const callbackUrl = (stage: string, api = apiRef()) => ({
  'Fn::Join': ['', ['https://', api, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/${stage}`]],
});

describe('WebSocket API', () => {
  it('selects routes by $request.body.action', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
  });

  it('has exactly one route per ROUTES entry', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', ROUTES.length);
  });

  it.each(ROUTES)('routes $routeKey to the $id function through a Lambda proxy integration', (spec) => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: spec.routeKey } });
    const [route, ...others] = Object.values(routes) as Resource[];
    expect(others).toHaveLength(0);
    expect(route?.Properties.ApiId).toEqual(apiRef());

    const target = route?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    expect(target['Fn::Join'][1][0]).toBe('integrations/');
    const integration = resource(target['Fn::Join'][1][1].Ref);
    expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
    expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(functionOf(spec)), 'Arn'] }),
    );
  });

  it.each(ROUTES)('lets API Gateway invoke the $id function for route $routeKey of this API only', (spec) => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(functionOf(spec)), 'Arn'] },
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([apiRef(), `/*${spec.routeKey}`])] },
    });
  });

  it('auto-deploys the "dev" stage, after its routes exist', () => {
    const stage = resource(logicalId(stack.webSocket.stage));
    expect(stage.Properties).toMatchObject({ ApiId: apiRef(), StageName: 'dev', AutoDeploy: true });
    for (const spec of ROUTES) {
      const [routeId] = Object.keys(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: spec.routeKey } }));
      expect(stage.DependsOn).toContain(routeId);
    }
  });
});

describe('functions', () => {
  it('has one function per route plus the resend function, the fan-out page worker, the $connect authorizer and the ingestion sink', () => {
    template.resourceCountIs('AWS::Lambda::Function', ROUTES.length + 4);
  });

  it.each(ALL_FUNCTIONS)('$id runs Node.js 22 on arm64 with its memory (512 MB if a route that hands a page on, else 256) and the bundled handler', (spec) => {
    const props = resource(logicalId(functionOf(spec))).Properties;
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Handler).toBe('index.handler');
    expect(props.Architectures).toEqual(['arm64']);
    // The resend sweep hands on too (a will), but keeps 256 MB: it runs most of every minute (lambdas/routes.ts RESEND).
    expect(props.MemorySize).toBe(spec.pageQueue === 'send' && spec.routeKey !== undefined ? HANDS_ON_A_PAGE_MB : 256);
    expect(props.Timeout).toBe(spec.routeKey === undefined ? 70 : 10);
  });

  // A map as large as the bundle, which Node would parse at every cold start: only on request (qosgate:sourceMaps).
  it.each(ALL_FUNCTIONS)('$id is bundled by esbuild, without a source map by default', (spec) => {
    const key = resource(logicalId(functionOf(spec))).Properties.Code.S3Key as string;
    const assetDir = join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
    expect(existsSync(join(assetDir, 'index.js'))).toBe(true);
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(false);
  });

  // Each entry builds only its own function (lambdas/entry/*-function.ts), so esbuild leaves the rest out.
  const JOSE_MARK = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
  const bundleOf = (fn: IConstruct) => {
    const key = resource(logicalId(fn)).Properties.Code.S3Key as string;
    return readFileSync(join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js'), 'utf8');
  };
  it.each(ALL_FUNCTIONS)('$id carries no token verification code (jose, Secrets Manager): only the Authorizer does', (spec) => {
    const code = bundleOf(functionOf(spec));
    // Booleans, so that a failure names what was found rather than printing the whole bundle.
    expect({ jose: code.includes(JOSE_MARK), secretsManager: code.includes('@aws-sdk/client-secrets-manager') }).toEqual({ jose: false, secretsManager: false });
  });
  it("the Authorizer's bundle carries jose and no delivery code", () => {
    const code = bundleOf(stack.connectAuthorizer!.handler);
    expect({ jose: code.includes(JOSE_MARK), managementApi: code.includes('@aws-sdk/client-apigatewaymanagementapi') }).toEqual({ jose: true, managementApi: false });
  });

  it.each(ALL_FUNCTIONS)('$id is given the names of its tables and the callback URL', (spec) => {
    const env = resource(logicalId(functionOf(spec))).Properties.Environment.Variables as Record<string, unknown>;
    const tables = Object.keys(spec.tables) as TableName[];
    // The callback URL goes to all: every entry wires its gateway at cold start (lambdas/entry/wiring.ts).
    // Telemetry adds no variable: the log level is Lambda's logging config, the stage comes from the callback URL.
    const expected: Record<string, unknown> = { [CALLBACK_URL_ENV]: callbackUrl('dev') };
    for (const table of tables) expected[TABLES[table].envVar] = { Ref: logicalId(stack.storage.tables[table]) };
    // A function that hands messages on is told the fan-out queue, the page sizes and the span.
    if ('pageQueue' in spec && spec.pageQueue) {
      expected[FANOUT_QUEUE_URL_ENV] = { Ref: logicalId(stack.fanout.queue) };
      expected[FANOUT_ENV.inlinePageSize] = '200';
      expected[FANOUT_ENV.jobPageSize] = '200';
      expected[FANOUT_ENV.spanPages] = '10';
    }
    // The functions that record client messages are told the sink is on (it is by default).
    if (spec.id === 'Publish' || spec.id === 'Pubrel' || spec.id === 'Default') expected[SINK_ENV.enabled] = 'true';
    // Exactly these: no policy or sweep variable unless configured, no other table.
    expect(env).toEqual(expected);
  });

  it('builds the callback URL from the API id, not the stage resource (no dependency cycle)', () => {
    const stageId = logicalId(stack.webSocket.stage);
    for (const spec of ALL_FUNCTIONS) {
      expect(JSON.stringify(resource(logicalId(functionOf(spec))).Properties)).not.toContain(stageId);
    }
  });
});

describe('tables', () => {
  it('has one table per TABLES entry', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLE_NAMES.length);
  });

  it.each(TABLE_NAMES)('%s has the schema keys, indexes, TTL and on-demand billing', (name) => {
    const schema = TABLES[name];
    const table = resource(logicalId(stack.storage.tables[name]));
    const keySchema = (pk: { name: string }, sk?: { name: string }) => [
      { AttributeName: pk.name, KeyType: 'HASH' },
      ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : []),
    ];

    expect(table.Properties.KeySchema).toEqual(keySchema(schema.partitionKey, schema.sortKey));
    const keyAttributes = [schema.partitionKey, schema.sortKey, ...schema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
    const definitions = new Map(keyAttributes.filter((a) => a !== undefined).map((a) => [a.name, a.type]));
    expect(table.Properties.AttributeDefinitions).toHaveLength(definitions.size);
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }))),
    );
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      schema.indexes.length === 0
        ? undefined
        : schema.indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection },
          })),
    );
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    // A dev stage: a destroyed stack takes its tables with it (test/lib/hardening.test.ts: prod keeps them).
    expect(table.DeletionPolicy).toBe('Delete');
  });
});

describe('the messages table (issue 13: a body once per delivery)', () => {
  it('is keyed topicKey / msgKey, has TTL on expiresAt and no index, and its name is an output', () => {
    const table = resource(logicalId(stack.storage.tables.messages));
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: 'topicKey', KeyType: 'HASH' },
      { AttributeName: 'msgKey', KeyType: 'RANGE' },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
    expect((template.toJSON().Outputs as Record<string, { Value: unknown }>).MessagesTableName?.Value).toEqual({ Ref: logicalId(stack.storage.tables.messages) });
  });

  it('is named to every function that has the pending table (MESSAGES_TABLE), and to no other', () => {
    for (const spec of ALL_FUNCTIONS) {
      const env = resource(logicalId(functionOf(spec))).Properties.Environment.Variables as Record<string, unknown>;
      expect(env.MESSAGES_TABLE, spec.id).toEqual(spec.tables.pending === undefined ? undefined : { Ref: logicalId(stack.storage.tables.messages) });
    }
  });
});

describe('resend schedule', () => {
  it('invokes the resend function at rate(1 minute)', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.resend.handler), 'Arn'] } })],
    });
  });

  it('lets only that rule invoke the resend function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack.resend.handler), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.resend.rule), 'Arn'] },
    });
  });
});

describe('outputs', () => {
  it('gives the wss:// URL, the callback URL and every table name', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.WebSocketUrl?.Value).toEqual({
      'Fn::Join': ['', ['wss://', apiRef(), '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/dev']],
    });
    expect(outputs.CallbackUrl?.Value).toEqual(callbackUrl('dev'));
    for (const name of TABLE_NAMES) {
      const [outputName] = Object.entries(outputs).find(([, o]) => JSON.stringify(o.Value) === JSON.stringify({ Ref: logicalId(stack.storage.tables[name]) })) ?? [];
      expect(outputName, name).toMatch(/TableName$/);
    }
  });
});

describe('configured through props', () => {
  let configured: QosgateStack;
  let configuredTemplate: Template;
  let env: (spec: { routeKey?: string; id: string }) => Record<string, unknown>;

  beforeAll(() => {
    // Bundling is skipped here: only the environment and names differ from the stack above.
    const configuredApp = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    configured = new QosgateStack(configuredApp, 'Configured', {
      config: { stageName: 'prod', policy: { attemptLimit: 5 }, flowControl: 'strict', firstSends: 'marker', sweep: { shards: 8, windowMs: 80_000 } },
    });
    configuredTemplate = Template.fromStack(configured);
    const configuredResources = configuredTemplate.toJSON().Resources as Record<string, Resource>;
    env = (spec) => {
      const fn = spec.routeKey === undefined ? configured.resend.handler : configured.routeFunctions.functionFor({ routeKey: spec.routeKey });
      return configuredResources[configured.getLogicalId(fn.node.defaultChild as CfnElement)]!.Properties.Environment.Variables;
    };
  }, 60_000);

  it.each(ALL_FUNCTIONS)('$id gets only the overridden policy variables', (spec) => {
    const vars = env(spec);
    expect(vars[POLICY_ENV.attemptLimit]).toBe('5');
    for (const [key, name] of Object.entries(POLICY_ENV)) if (key !== 'attemptLimit') expect(vars).not.toHaveProperty(name);
  });

  it.each(ALL_FUNCTIONS)('$id gets FLOW_CONTROL when qosgate:flowControl is set', (spec) => {
    expect(env(spec)[FLOW_CONTROL_ENV]).toBe('strict');
  });

  it.each(ALL_FUNCTIONS)('$id gets FIRST_SENDS when qosgate:firstSends is set', (spec) => {
    expect(env(spec)[FIRST_SENDS_ENV]).toBe('marker');
  });

  it.each(ALL_FUNCTIONS)('$id gets the shard count if it writes pending entries; only resend gets the sweep timing', (spec) => {
    const vars = env(spec);
    const writesPending = spec.tables.pending === 'readWrite' || spec.tables.pending === 'write';
    expect(vars[SWEEP_ENV.shards]).toBe(writesPending ? '8' : undefined);
    expect(vars[SWEEP_ENV.windowMs]).toBe(spec.routeKey === undefined ? '80000' : undefined);
    for (const name of [SWEEP_ENV.intervalMs, SWEEP_ENV.batchSize]) expect(vars).not.toHaveProperty(name);
  });

  it('names the stage, and the callback URL, after the configured stage', () => {
    configuredTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'prod' });
    const api = { Ref: configured.getLogicalId(configured.webSocket.api.node.defaultChild as CfnElement) };
    expect(env(RESEND)[CALLBACK_URL_ENV]).toEqual(callbackUrl('prod', api));
  });

  it('gives the resend function its sweep window plus 20 s', () => {
    configuredTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 100,
      Environment: { Variables: Match.objectLike({ [SWEEP_ENV.windowMs]: '80000' }) },
    });
  });
});
