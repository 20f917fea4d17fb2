import { App, Stack } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '../../../lambdas/adapters/dynamodb/schema.js';
import { CALLBACK_URL_ENV } from '../../../lambdas/config.js';
import { FANOUT_PAGE, RESEND, ROUTES, ROUTE_SELECTION_EXPRESSION, SINK } from '../../../lambdas/routes.js';
import { PROJECT_ROOT } from '../../../lib/constructs/qos-function.js';
import { tableConstructId } from '../../../lib/constructs/storage.js';
import { AppModelError, rateIntervalMs, readAppModel, resolveEnvironment, type AppModel } from '../../../local/template/app-model.js';
import type { CfnResource, CfnTemplate } from '../../../local/template/cfn-template.js';
import { synthTemplate } from '../../../local/template/synth.js';

/** readAppModel on the template the app really synthesizes, plus edited copies of it for the failures. */

let template: CfnTemplate;
let model: AppModel;

beforeAll(() => {
  template = synthTemplate();
  model = readAppModel(template);
}, 120_000);

/** A copy of the real template with one resource changed. */
function edited(edit: (resources: Record<string, CfnResource>) => void): CfnTemplate {
  const copy = structuredClone(template);
  edit(copy.Resources);
  return copy;
}

function resourceOf(logicalId: string, resources = template.Resources): CfnResource {
  const found = resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

const localNames = () => Object.fromEntries(model.tables.map((t) => [t.logicalId, `local-${t.id}`]));

describe('readAppModel on the synthesized app', () => {
  it('reads the API, its route selection expression and its stage', () => {
    expect(resourceOf(model.apiLogicalId).Type).toBe('AWS::ApiGatewayV2::Api');
    expect(model.routeSelectionExpression).toBe(ROUTE_SELECTION_EXPRESSION);
    expect(model.stageName).toBe('dev');
  });

  it('routes every route key of the route table to the function of that route, with no authorizer', () => {
    expect(model.routes.map((r) => [r.routeKey, r.functionId]).sort()).toEqual(ROUTES.map((r) => [r.routeKey, r.id]).sort());
    for (const route of model.routes) {
      expect(route.authorizationType).toBe('NONE');
      // One-way routes: API Gateway drops what the integration returns.
      expect(route.routeResponseSelectionExpression).toBeUndefined();
    }
    expect(model.authorizer).toBeUndefined();
  });

  it("reads the history stream's mapping to the Sink with everything Lambda does by it", () => {
    const history = model.tables.find((t) => t.id === 'History')!;
    const dlq = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::SQS::Queue' && String(r.Metadata?.['aws:cdk:path']).includes('IngestionSink/DeadLetterQueue'))![0];
    expect(model.streamEventSourceMappings).toEqual([
      {
        logicalId: expect.any(String),
        tableLogicalId: history.logicalId,
        functionId: SINK.id,
        batchSize: 100,
        batchingWindowSeconds: 1,
        startingPosition: 'TRIM_HORIZON',
        retryAttempts: 10,
        bisectOnError: true,
        reportBatchItemFailures: true,
        onFailureQueueLogicalId: dlq,
        filterPatterns: ['{"eventName":["INSERT"]}'],
      },
    ]);
    // The SQS mappings stay the SQS ones.
    expect(model.eventSourceMappings.map((m) => m.functionId)).toEqual([FANOUT_PAGE.id]);
  });

  it('finds every function by its route-table id, Default included', () => {
    expect(Object.keys(model.functions).sort()).toEqual([...ROUTES.map((r) => r.id), RESEND.id, FANOUT_PAGE.id, SINK.id].sort());
    // Each function's memory as the route table gives it (the routes that hand the inline page on: 512 MB), the page worker's 512 MB.
    const memoryOf = new Map<string, number>([...ROUTES, RESEND, SINK, FANOUT_PAGE].map((r) => [r.id, r.memoryMb ?? 256]));
    expect(memoryOf.get('Publish')).toBe(512);
    for (const fn of Object.values(model.functions)) {
      expect(resourceOf(fn.logicalId).Type).toBe('AWS::Lambda::Function');
      expect(fn.cdkPath).toMatch(new RegExp(`/${fn.functionId}/Resource$`));
      expect(fn).toMatchObject({ memoryMb: memoryOf.get(fn.functionId), handler: 'index.handler', runtime: 'nodejs22.x' });
    }
    expect(model.functions.Publish?.timeoutSeconds).toBe(10);
    expect(model.functions.Resend?.timeoutSeconds).toBe(70);
  });

  it('reads the fan-out queue, its dead-letter queue and the event source mapping with their settings', () => {
    const queue = model.queues.find((q) => q.id === 'Queue');
    const dlq = model.queues.find((q) => q.id === 'DeadLetterQueue');
    expect(queue).toEqual({ logicalId: expect.any(String), id: 'Queue', visibilityTimeoutSeconds: 228, messageRetentionSeconds: 86_400, redrive: { deadLetterQueueLogicalId: dlq?.logicalId, maxReceiveCount: 5 } });
    expect(dlq).toEqual({ logicalId: expect.any(String), id: 'DeadLetterQueue', visibilityTimeoutSeconds: 30, messageRetentionSeconds: 1_209_600 });
    expect(model.eventSourceMappings).toEqual([{ queueLogicalId: queue?.logicalId, functionId: FANOUT_PAGE.id, batchSize: 1, maximumConcurrency: 10, reportBatchItemFailures: true }]);
  });

  it('keeps environment values raw: Refs to tables and the callback URL join', () => {
    const env = model.functions.Publish?.environment ?? {};
    const pending = model.tables.find((t) => t.id === 'Pending');
    expect(env[TABLES.pending.envVar]).toEqual({ Ref: pending?.logicalId });
    expect(env[CALLBACK_URL_ENV]).toHaveProperty('Fn::Join');
  });

  it('reads each table with its construct id, keys, indexes and TTL', () => {
    expect(model.tables.map((t) => t.id).sort()).toEqual((Object.keys(TABLES) as TableName[]).map(tableConstructId).sort());
    const pending = model.tables.find((t) => t.id === 'Pending');
    expect(pending).toEqual({
      logicalId: expect.stringMatching(/^StoragePending/),
      id: 'Pending',
      keySchema: [
        { attributeName: 'sessionId', keyType: 'HASH' },
        { attributeName: 'id', keyType: 'RANGE' },
      ],
      attributeDefinitions: expect.arrayContaining([{ attributeName: 'dueAt', attributeType: 'N' }]),
      globalSecondaryIndexes: [
        {
          indexName: 'byDue',
          keySchema: [
            { attributeName: 'dueShard', keyType: 'HASH' },
            { attributeName: 'dueAt', keyType: 'RANGE' },
          ],
          projection: { projectionType: 'KEYS_ONLY' },
        },
      ],
      ttlAttribute: 'expiresAt',
    });
  });

  it('reads the resend schedule', () => {
    expect(model.schedules).toEqual([{ functionId: RESEND.id, expression: 'rate(1 minute)', intervalMs: 60_000 }]);
  });

  it('follows the stage name given as context', () => {
    const local = readAppModel(synthTemplate({ context: { 'qosgate:stageName': 'local' } }));
    expect(local.stageName).toBe('local');
    expect(resolveEnvironment(local.functions.Ping!, { tableNames: Object.fromEntries(local.tables.map((t) => [t.logicalId, t.id])), callbackUrl: 'http://cb' })).toMatchObject({
      [CALLBACK_URL_ENV]: 'http://cb',
    });
  }, 60_000);
});

describe('resolveEnvironment', () => {
  it('maps table Refs to the local names and the callback URL to the local endpoint, and keeps literals', () => {
    const queue = model.queues.find((q) => q.id === 'Queue')!;
    const env = resolveEnvironment(model.functions.Publish!, { tableNames: localNames(), callbackUrl: 'http://127.0.0.1:9/dev', queueUrls: { [queue.logicalId]: 'http://127.0.0.1:8/000000000000/q' } });
    expect(env).toEqual({
      [CALLBACK_URL_ENV]: 'http://127.0.0.1:9/dev',
      FANOUT_QUEUE_URL: 'http://127.0.0.1:8/000000000000/q',
      FANOUT_INLINE_PAGE_SIZE: '200',
      FANOUT_JOB_PAGE_SIZE: '200',
      FANOUT_SPAN_PAGES: '10',
      CONNECTIONS_TABLE: 'local-Connections',
      SUBSCRIPTIONS_TABLE: 'local-Subscriptions',
      PENDING_TABLE: 'local-Pending',
      MESSAGES_TABLE: 'local-Messages',
      // The publish records each accepted message (PROTOCOL §10-11): history write (routes.ts).
      HISTORY_TABLE: 'local-History',
      INBOUND_TABLE: 'local-Inbound',
      RETAINED_TABLE: 'local-Retained',
      SINK_ENABLED: 'true',
    });
  });

  it("maps a delivery stream's Ref to its local name (the Sink's SINK_DELIVERY_STREAM)", () => {
    const [stream] = model.deliveryStreams;
    expect(stream).toMatchObject({ id: 'DeliveryStream' });
    const env = resolveEnvironment(model.functions.Sink!, { tableNames: localNames(), callbackUrl: 'http://cb', deliveryStreamNames: { [stream!.logicalId]: 'local-sink' } });
    expect(env).toEqual({ SINK_DELIVERY_STREAM: 'local-sink' });
  });

  it('refuses a table that has no local name, naming the variable', () => {
    const { [model.tables[0]!.logicalId]: _dropped, ...fewer } = localNames();
    expect(() => resolveEnvironment(model.functions.Connect!, { tableNames: fewer, callbackUrl: 'http://cb' })).toThrow(/Connect: CONNECTIONS_TABLE names table/);
  });

  it('refuses a value it does not know, naming the variable', () => {
    const fn = { ...model.functions.Ping!, environment: { ...model.functions.Ping!.environment, STREAM: { 'Fn::GetAtt': ['X', 'StreamArn'] } } };
    expect(() => resolveEnvironment(fn, { tableNames: localNames(), callbackUrl: 'http://cb' })).toThrow(AppModelError);
    expect(() => resolveEnvironment(fn, { tableNames: localNames(), callbackUrl: 'http://cb' })).toThrow(/Ping: cannot resolve STREAM/);
  });
});

describe('readAppModel fails loudly on what it cannot run', () => {
  const ping = () => model.functions.Ping!.logicalId;
  const variables = (resources: Record<string, CfnResource>) => (resourceOf(ping(), resources).Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  it('an environment value of an unknown kind', () => {
    const broken = edited((r) => (variables(r).EXTRA = { 'Fn::ImportValue': 'x' }));
    expect(() => readAppModel(broken)).toThrow(/Ping: EXTRA is a value the local runtime cannot resolve/);
  });

  it('a Ref that is not a table', () => {
    const broken = edited((r) => (variables(r).EXTRA = { Ref: model.apiLogicalId }));
    expect(() => readAppModel(broken)).toThrow(/EXTRA is a Ref to .*, which is neither a table, a queue nor a delivery stream/);
  });

  it('an event source mapping on something that is not a queue of the template', () => {
    const broken = edited((r) => {
      const mapping = Object.values(r).find((x) => x.Type === 'AWS::Lambda::EventSourceMapping')!;
      mapping.Properties!.EventSourceArn = { 'Fn::GetAtt': [model.apiLogicalId, 'Arn'] };
    });
    expect(() => readAppModel(broken)).toThrow(/event source mapping .*: only SQS queues of the template run locally/);
  });

  it("a stream mapping whose on-failure destination is not a queue of the template", () => {
    const broken = edited((r) => {
      const mapping = Object.values(r).find((x) => x.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(x.Properties?.EventSourceArn).includes('StreamArn'))!;
      mapping.Properties!.DestinationConfig = { OnFailure: { Destination: 'arn:aws:sns:us-east-1:1:topic' } };
    });
    expect(() => readAppModel(broken)).toThrow(/event source mapping .*: its on-failure destination is not a queue of the template/);
  });

  it('a callback URL of another stage', () => {
    const broken = edited((r) => {
      const join = variables(r)[CALLBACK_URL_ENV] as { 'Fn::Join': [string, unknown[]] };
      join['Fn::Join'][1][join['Fn::Join'][1].length - 1] = '/prod';
    });
    expect(() => readAppModel(broken)).toThrow(/CALLBACK_URL is the callback URL of .*\/prod/);
  });

  it('a function without aws:cdk:path', () => {
    const broken = edited((r) => delete resourceOf(ping(), r).Metadata);
    expect(() => readAppModel(broken)).toThrow(/no aws:cdk:path metadata/);
  });

  it('an integration that is not a Lambda proxy', () => {
    const broken = edited((r) => {
      for (const resource of Object.values(r)) if (resource.Type === 'AWS::ApiGatewayV2::Integration') resource.Properties!.IntegrationType = 'MOCK';
    });
    expect(() => readAppModel(broken)).toThrow(/only Lambda proxy integrations/);
  });

  it('local secondary indexes', () => {
    const broken = edited((r) => (resourceOf(model.tables[0]!.logicalId, r).Properties!.LocalSecondaryIndexes = []));
    expect(() => readAppModel(broken)).toThrow(/local secondary indexes/);
  });
});

describe('schedules', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
    ['rate(0 minutes)', undefined],
    ['cron(0 12 * * ? *)', undefined],
  ])('%s is %s ms', (expression, ms) => {
    expect(rateIntervalMs(expression)).toBe(ms);
  });

  it('keeps a cron rule with no interval, and skips a disabled rule', () => {
    const [ruleId] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Events::Rule')!;
    const cron = edited((r) => (resourceOf(ruleId, r).Properties!.ScheduleExpression = 'cron(0 12 * * ? *)'));
    expect(readAppModel(cron).schedules).toEqual([{ functionId: RESEND.id, expression: 'cron(0 12 * * ? *)' }]);
    const disabled = edited((r) => (resourceOf(ruleId, r).Properties!.State = 'DISABLED'));
    expect(readAppModel(disabled).schedules).toEqual([]);
  });
});

describe('a $connect authorizer', () => {
  it('is read from what CDK synthesizes for a WebSocketLambdaAuthorizer', () => {
    // A small stack of its own: qosgate has no authorizer yet, and this is the shape CDK emits for one.
    const app = new App({ context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'WithAuthorizer');
    const fn = (id: string) => new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>({})') });
    const api = new WebSocketApi(stack, 'Api', {
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', fn('Connect')),
        authorizer: new WebSocketLambdaAuthorizer('Authorizer', fn('Authorize'), { identitySource: ['route.request.querystring.token'] }),
      },
    });
    new WebSocketStage(stack, 'Stage', { webSocketApi: api, stageName: 'dev', autoDeploy: true });

    const withAuthorizer = readAppModel(Template.fromStack(stack).toJSON() as CfnTemplate);
    expect(withAuthorizer.routes).toEqual([{ routeKey: '$connect', functionId: 'Connect', authorizationType: 'CUSTOM' }]);
    expect(withAuthorizer.authorizer).toEqual({ functionId: 'Authorize', identitySource: ['route.request.querystring.token'], type: 'REQUEST' });
  });
});

describe('the functions\' code asset and logging controls', () => {
  it('are read from the asset metadata and LoggingConfig; a relative asset path resolves against the assembly folder', () => {
    const copy = edited((resources) => {
      const publish = resourceOf(model.functions.Publish?.logicalId as string, resources);
      publish.Metadata = { ...publish.Metadata, 'aws:asset:path': 'asset.0123abcd', 'aws:asset:is-bundled': true };
    });
    const publish = readAppModel(copy, { assemblyDir: '/tmp/assembly' }).functions.Publish;
    expect(publish?.asset).toEqual({ path: '/tmp/assembly/asset.0123abcd', bundled: true });
    expect(readAppModel(copy).functions.Publish?.asset).toEqual({ path: 'asset.0123abcd', bundled: true });
    // The stack's JSON logs at the configured level: what Lambda hands the code as AWS_LAMBDA_LOG_LEVEL.
    expect(publish?.logging).toEqual({ format: 'JSON', applicationLogLevel: 'INFO' });
    // A synth without bundling points every asset at the project folder, where no bundle is.
    expect(model.functions.Publish?.asset?.path).toBe(PROJECT_ROOT.replace(/\/$/, ''));
  });
});
