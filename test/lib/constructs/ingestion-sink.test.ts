import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SINK_ENV } from '../../../lambdas/config.js';
import { ConfigError, resolveConfig, type SinkSettings } from '../../../lib/config.js';
import { PARTITION_QUERY, SINK_ERROR_PREFIX, SINK_PREFIX } from '../../../lib/constructs/ingestion-sink.js';
import { QosgateStack } from '../../../lib/qosgate-stack.js';

/** The ingestion sink as synthesized: bucket, delivery stream, the Sink function, its mapping, grants and alarms. */
const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

function build(sink: Partial<SinkSettings> = {}, stageName = 'dev') {
  const stack = new QosgateStack(new App({ context: CDK_CONTEXT }), 'Qosgate', { config: { stageName, sink } });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  return { stack, template, resources, id, ofType };
}

/** Every statement of the inline policies attached to a role. */
function statementsOfRole(resources: Record<string, Resource>, roleId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}
const actions = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('ingestion sink (stack)', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build({ bufferingSeconds: 120, bufferingMiB: 96, batchSize: 50, retryAttempts: 4, glacierAfterDays: 30, expireAfterDays: 400 }, 'prod');
  }, 180_000);

  it('has a bucket encrypted, closed to the public, TLS only, with the lifecycle from the settings, kept on a prod stage', () => {
    const { resources, id, stack } = built;
    const sink = stack.sink!;
    const bucket = resources[id(sink.bucket)]!;
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const rule = bucket.Properties.LifecycleConfiguration.Rules[0];
    expect(rule.Transitions).toEqual([{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }]);
    expect(rule.ExpirationInDays).toBe(400);
    expect((bucket as unknown as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy')!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('has a Firehose stream into it, partitioned by controller, topic and hour, with an error prefix and the buffering from the settings', () => {
    const { resources, id, stack } = built;
    const stream = resources[stack.getLogicalId(stack.sink!.deliveryStream)]!.Properties;
    expect(stream.DeliveryStreamType).toBe('DirectPut');
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const s3 = stream.ExtendedS3DestinationConfiguration;
    expect(s3.BucketARN).toEqual({ 'Fn::GetAtt': [id(stack.sink!.bucket), 'Arn'] });
    expect(s3.Prefix).toBe('controller=!{partitionKeyFromQuery:controller}/topic=!{partitionKeyFromQuery:topic}/hour=!{partitionKeyFromQuery:hour}/');
    expect(s3.Prefix).toBe(SINK_PREFIX);
    expect(s3.ErrorOutputPrefix).toBe(SINK_ERROR_PREFIX);
    expect(s3.BufferingHints).toEqual({ IntervalInSeconds: 120, SizeInMBs: 96 });
    expect(s3.DynamicPartitioningConfiguration.Enabled).toBe(true);
    expect(s3.ProcessingConfiguration.Processors[0].Parameters).toContainEqual({ ParameterName: 'MetadataExtractionQuery', ParameterValue: PARTITION_QUERY });
    expect(s3.CloudWatchLoggingOptions.Enabled).toBe(true);
  });

  it('maps the history table stream to the Sink function: INSERTs only, from the start, bisecting, retrying, then the dead-letter queue', () => {
    const { ofType, id, stack } = built;
    const sink = stack.sink!;
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, r]) => JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: id(sink.handler) }));
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]![1].Properties;
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [id(stack.storage.tables.history), 'StreamArn'] });
    expect(mapping.StartingPosition).toBe('TRIM_HORIZON');
    expect(mapping.FilterCriteria).toEqual({ Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] });
    expect(mapping.BatchSize).toBe(50);
    expect(mapping.BisectBatchOnFunctionError).toBe(true);
    expect(mapping.MaximumRetryAttempts).toBe(4);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [id(sink.deadLetterQueue), 'Arn'] });
  });

  it('grants the Sink only the history stream’s reads, PutRecordBatch on its own stream, and sending to its dead-letter queue', () => {
    const { resources, id, stack } = built;
    const sink = stack.sink!;
    const statements = statementsOfRole(resources, id(sink.handler.role!));
    const all = statements.flatMap(actions).sort();
    expect(all).toEqual(
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'firehose:PutRecordBatch', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort(),
    );
    const put = statements.find((s) => actions(s).includes('firehose:PutRecordBatch'))!;
    expect(put.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(sink.deliveryStream), 'Arn'] });
    const read = statements.find((s) => actions(s).includes('dynamodb:GetRecords'))!;
    expect(read.Resource).toEqual({ 'Fn::GetAtt': [id(stack.storage.tables.history), 'StreamArn'] });
    // No table data at all: the stream carries the new images.
    expect(all.filter((a) => /dynamodb:(Get|Put|Query|Scan|Update|Delete|Batch)Item|dynamodb:Query/.test(a))).toEqual([]);
    expect(sink.handler.node.tryFindChild('Resource')).toBeDefined();
  });

  it('gives Firehose a role that writes this bucket and its log group only', () => {
    const { resources, stack } = built;
    const roleArn = resources[stack.getLogicalId(stack.sink!.deliveryStream)]!.Properties.ExtendedS3DestinationConfiguration.RoleARN;
    const role = resources[roleArn['Fn::GetAtt'][0]]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'firehose.amazonaws.com' });
    const statements = role.Policies.flatMap((p: any) => p.PolicyDocument.Statement) as Array<{ Action: string[]; Resource: unknown }>;
    expect(statements.flatMap(actions).sort()).toEqual(['logs:PutLogEvents', 's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'].sort());
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('tells Publish, Pubrel and Default (text-frame publishes) that the sink is on; the Sink its stream', () => {
    const { resources, id, stack } = built;
    for (const routeKey of ['publish', 'pubrel', '$default']) {
      const env = resources[id(stack.routeFunctions.functionFor({ routeKey }))]!.Properties.Environment.Variables;
      expect(env[SINK_ENV.enabled], routeKey).toBe('true');
    }
    const other = resources[id(stack.routeFunctions.functionFor({ routeKey: 'subscribe' }))]!.Properties.Environment.Variables;
    expect(other[SINK_ENV.enabled]).toBeUndefined();
    expect(resources[id(stack.sink!.handler)]!.Properties.Environment.Variables[SINK_ENV.deliveryStream]).toEqual({ Ref: stack.getLogicalId(stack.sink!.deliveryStream) });
  });

  it('alarms on delivery failures, stale data, the Sink lagging or failing, and dead-lettered batches', () => {
    const { stack, resources, id } = built;
    const alarms = stack.monitoring.sinkAlarms!;
    const props = (alarm: { node: { defaultChild?: unknown } }) => resources[id(alarm)]!.Properties;
    expect(props(alarms.deliveryFailure)).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.Success', ComparisonOperator: 'LessThanThreshold', Threshold: 1 });
    expect(props(alarms.dataFreshness)).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.DataFreshness', Threshold: 3 * 120 + 300 });
    expect(props(alarms.deliveryFailure).Dimensions).toEqual([{ Name: 'DeliveryStreamName', Value: { Ref: stack.getLogicalId(stack.sink!.deliveryStream) } }]);
    expect(props(alarms.iteratorAge)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Statistic: 'Maximum' });
    expect(props(alarms.deadLetter)).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.sink!.deadLetterQueue), 'QueueName'] } }] });
    expect(stack.monitoring.functionErrorAlarms.Sink).toBeDefined();
  });

  it('is left out entirely with sink.enabled false: no bucket, stream, Sink function, or SINK_ENABLED', () => {
    const off = build({ enabled: false });
    expect(off.stack.sink).toBeUndefined();
    expect(off.ofType('AWS::S3::Bucket')).toEqual([]);
    expect(off.ofType('AWS::KinesisFirehose::DeliveryStream')).toEqual([]);
    const env = off.resources[off.id(off.stack.routeFunctions.functionFor({ routeKey: 'publish' }))]!.Properties.Environment.Variables;
    expect(env[SINK_ENV.enabled]).toBeUndefined();
  }, 180_000);

  it('refuses settings Firehose or the mapping would refuse, naming them', () => {
    expect(() => resolveConfig({ sink: { bufferingMiB: 32 } })).toThrow(new ConfigError('qosgate: sink.bufferingMiB must be a whole number from 64 to 128, got 32'));
    expect(() => resolveConfig({ sink: { bufferingSeconds: 30 } })).toThrow(/sink.bufferingSeconds must be a whole number from 60 to 900/);
    expect(() => resolveConfig({ sink: { topics: ['sensor/#'] } as never })).toThrow(/unknown sink setting "topics"/);
    expect(() => resolveConfig({ sink: { expireAfterDays: 10, glacierAfterDays: 30 } })).toThrow(/sink.expireAfterDays \(10\) must be 0/);
    expect(() => resolveConfig({ sink: { bogus: 1 } as never })).toThrow(/unknown sink setting "bogus"/);
    expect(resolveConfig().sink).toMatchObject({ enabled: true, bufferingSeconds: 60, bufferingMiB: 64 });
  });
});
