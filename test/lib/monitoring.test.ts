import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import { FANOUT_PAGE, RESEND, ROUTES, SINK } from '../../lambdas/routes.js';
import { DIMENSION, METRICS, METRIC_NAMESPACE, SERVICE_NAME, type MetricName } from '../../lambdas/telemetry/metric-names.js';
import { QosgateStack } from '../../lib/qosgate-stack.js';

/**
 * Issues 3 and 4: the dashboard and every alarm, read from the template. The custom metrics
 * must be exactly what the handlers emit: namespace, names and dimensions are taken from
 * lambdas/telemetry/metric-names.ts, the constants the Powertools adapter writes with
 * (test/lambdas-telemetry/powertools.test.ts checks that side).
 */

type Resource = { Type: string; Properties: Record<string, any> };

const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;
const ALL_FUNCTIONS = [...ROUTES.map((r) => r.id), RESEND.id, FANOUT_PAGE.id, SINK.id];
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

function build(config: ConstructorParameters<typeof QosgateStack>[2]) {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new QosgateStack(app, 'Qosgate', config);
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

let stack: QosgateStack;
let template: Template;
let resources: Record<string, Resource>;
const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const alarm = (c: IConstruct) => resources[logicalId(c)]!.Properties;

/** The dimensions the handlers emit a metric with (service, stage, and qos for byQos metrics). */
function emitted(stage: string, qos?: number) {
  const dims = [
    { Name: DIMENSION.service, Value: SERVICE_NAME },
    { Name: DIMENSION.stage, Value: stage },
  ];
  return qos === undefined ? dims : [...dims, { Name: DIMENSION.qos, Value: String(qos) }];
}

beforeAll(() => {
  ({ stack, template, resources } = build({}));
}, 60_000);

describe('alarms on the handlers\' own metrics', () => {
  it('any dead letter: DeadLettered >= 1 in a minute, with the emitted namespace and dimensions', () => {
    expect(alarm(stack.monitoring.deadLetterAlarm)).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: 'DeadLettered' satisfies MetricName,
      Dimensions: emitted('dev'),
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(METRICS.DeadLettered.byQos).toBe(false);
  });

  it('resend rate: Resent above the threshold per minute, 5 minutes running', () => {
    expect(alarm(stack.monitoring.resendRateAlarm)).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: 'Resent' satisfies MetricName,
      Dimensions: emitted('dev'),
      Statistic: 'Sum',
      Period: 60,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
    });
  });

  it('takes the threshold and the stage dimension from the configuration', () => {
    const configured = build({ config: { stageName: 'prod', resendAlarmThreshold: 40 } });
    const props = configured.resources[configured.stack.getLogicalId(configured.stack.monitoring.resendRateAlarm.node.defaultChild as CfnElement)]!.Properties;
    expect(props.Threshold).toBe(40);
    expect(props.Dimensions).toEqual(emitted('prod'));
  });
});

describe('alarms on AWS metrics', () => {
  it('one Lambda errors alarm per function, on that function', () => {
    expect(Object.keys(stack.monitoring.functionErrorAlarms).sort()).toEqual([...ALL_FUNCTIONS].sort());
    for (const id of ALL_FUNCTIONS) {
      const fn = id === RESEND.id ? stack.resend.handler : id === FANOUT_PAGE.id ? stack.fanout.worker : id === SINK.id ? stack.sink!.handler : stack.routeFunctions.all.find((f) => f.id === id)!.fn;
      expect(alarm(stack.monitoring.functionErrorAlarms[id]!), id).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('API Gateway: ExecutionError (the WebSocket 5xx) on this API and stage', () => {
    expect(alarm(stack.monitoring.apiServerErrorAlarm)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'ExecutionError',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: logicalId(stack.webSocket.api) } },
        { Name: 'Stage', Value: 'dev' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
    });
  });

  it.each(TABLE_NAMES)('DynamoDB: read + write throttle events of the %s table', (name) => {
    const props = alarm(stack.monitoring.tableThrottleAlarms[name]!);
    expect(props.Threshold).toBe(1);
    const metrics = props.Metrics as Array<Record<string, any>>;
    const expression = metrics.find((m) => m.Expression);
    expect(expression?.ReturnData).not.toBe(false);
    const stats = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat);
    expect(stats.map((s) => s.Metric.MetricName).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    for (const s of stats) {
      expect(s.Metric.Namespace).toBe('AWS/DynamoDB');
      expect(s.Metric.Dimensions).toEqual([{ Name: 'TableName', Value: { Ref: logicalId(stack.storage.tables[name]) } }]);
      expect(s.Stat).toBe('Sum');
    }
  });

  it('the fan-out queue: a dead-lettered page job, and a job waiting over the threshold 3 minutes running', () => {
    expect(alarm(stack.monitoring.fanoutDeadLetterAlarm!)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.fanout.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarm(stack.monitoring.fanoutBacklogAlarm!)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.fanout.queue), 'QueueName'] } }],
      Threshold: 300,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('has exactly these alarms, and no alarm actions without an e-mail', () => {
    // ... + the fan-out queue's 2 + the ingestion sink's 4 (delivery failure, freshness, iterator age, dead letters).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + ALL_FUNCTIONS.length + 1 + TABLE_NAMES.length + 2 + 4);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const r of Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) expect(r.Properties.AlarmActions).toBeUndefined();
  });
});

describe('alarm e-mail', () => {
  it('subscribes the address to a TLS-only topic that every alarm notifies', () => {
    const withEmail = build({ config: { alarmEmail: 'ops@example.com' } });
    withEmail.template.resourceCountIs('AWS::SNS::Topic', 1);
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const topicId = withEmail.stack.getLogicalId(withEmail.stack.monitoring.topic!.node.defaultChild as CfnElement);
    const alarms = Object.values(withEmail.resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    // SNS3: publishers must use TLS.
    const policy = Object.values(withEmail.resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy')!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    expect((withEmail.template.toJSON().Outputs as Record<string, { Value: unknown }>).AlarmTopicArn?.Value).toEqual({ Ref: topicId });
  });
});

describe('dashboard', () => {
  /** Every metric array of every widget, with tokens rendered as `<logicalId>`. */
  let metricRows: unknown[][];
  let titles: string[];

  beforeAll(() => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [dashboard] = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
    const text =
      typeof body === 'string'
        ? body
        : body['Fn::Join'][1]
            .map((part) => {
              if (typeof part === 'string') return part;
              const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
              return p.Ref !== undefined ? `<${p.Ref}>` : `<${(p['Fn::GetAtt'] ?? []).join('.')}>`;
            })
            .join('');
    const parsed = JSON.parse(text) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> };
    // The dashboard JSON writes a value equal to the row above's as "." : expand it back.
    metricRows = parsed.widgets.flatMap((w) => {
      let previous: unknown[] = [];
      return (w.properties.metrics ?? []).map((row) => (previous = row.map((v, i) => (v === '.' ? previous[i] : v))));
    });
    titles = parsed.widgets.map((w) => w.properties.title ?? '');
  });

  /** Namespace, name and dimensions of a row as the dashboard JSON writes it: [namespace, name, dim, value, ..., options?]. */
  const keyOf = (row: unknown[]) => {
    const values = row.filter((v) => typeof v === 'string') as string[];
    const [namespace, name, ...pairs] = values;
    const dimensions = Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]));
    return JSON.stringify([namespace, name, Object.fromEntries(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)))]);
  };
  /** Whether a graph shows exactly this metric (dimension order does not matter: CloudWatch sorts them). */
  const has = (row: unknown[]) => metricRows.some((r) => keyOf(r) === keyOf(row));
  const dims = (stage: string, qos?: number) => emitted(stage, qos).flatMap((d) => [d.Name, d.Value]);

  it.each(Object.keys(METRICS) as MetricName[])('graphs %s with the dimensions it is emitted with', (name) => {
    if (METRICS[name].byQos) {
      // Only QoS 1/2 messages are acked or kept pending (and so can have a copy expire).
      const levels = name === 'Acked' || name === 'AckLatency' || name === 'Expired' ? [1, 2] : [0, 1, 2];
      for (const qos of levels) expect(has([METRIC_NAMESPACE, name, ...dims('dev', qos)]), `${name} qos ${qos}`).toBe(true);
    } else {
      expect(has([METRIC_NAMESPACE, name, ...dims('dev')]), name).toBe(true);
    }
  });

  it.each(ALL_FUNCTIONS)('graphs Lambda errors, throttles and duration of %s', (id) => {
    const fn = id === RESEND.id ? stack.resend.handler : id === FANOUT_PAGE.id ? stack.fanout.worker : id === SINK.id ? stack.sink!.handler : stack.routeFunctions.all.find((f) => f.id === id)!.fn;
    for (const metric of ['Errors', 'Throttles', 'Duration']) expect(has(['AWS/Lambda', metric, 'FunctionName', `<${logicalId(fn)}>`]), metric).toBe(true);
  });

  it('graphs API Gateway connects, messages and errors of this stage', () => {
    for (const metric of ['ConnectCount', 'MessageCount', 'ClientError', 'IntegrationError', 'ExecutionError']) {
      expect(has(['AWS/ApiGateway', metric, 'ApiId', `<${logicalId(stack.webSocket.api)}>`, 'Stage', 'dev']), metric).toBe(true);
    }
  });

  it.each(TABLE_NAMES)('graphs DynamoDB throttles of the %s table', (name) => {
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      expect(has(['AWS/DynamoDB', metric, 'TableName', `<${logicalId(stack.storage.tables[name])}>`]), metric).toBe(true);
    }
  });

  it('shows the alarms', () => {
    expect(titles.some((t) => t.startsWith('Alarms'))).toBe(true);
  });

  it('is named in the outputs', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DashboardName?.Value).toEqual({ Ref: logicalId(stack.monitoring.dashboard) });
  });
});
