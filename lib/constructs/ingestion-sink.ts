import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, LogStream, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SINK_ENV } from '../../lambdas/config.js';
import type { RouteSpec } from '../../lambdas/routes.js';
import type { SinkSettings } from '../config.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';

/**
 * Firehose's dynamic partitioning keys, by a JQ 1.6 query on each record (one §11 JSON line):
 * controller and topic as jq's `@uri` writes them (lambdas/core/sink-record.ts `partitionValue`
 * does the same locally, so a topic `room/1` is one folder `topic=room%2F1`), and the UTC hour of
 * receivedAt (`hourOf`).
 */
export const PARTITION_QUERY = '{controller: .controller | @uri, topic: .topic | @uri, hour: (.receivedAt / 1000 | floor | strftime("%Y-%m-%dT%H"))}';

/** The S3 layout of PROTOCOL §11: `controller=<c>/topic=<t>/hour=<yyyy-MM-ddTHH>/`. */
export const SINK_PREFIX = 'controller=!{partitionKeyFromQuery:controller}/topic=!{partitionKeyFromQuery:topic}/hour=!{partitionKeyFromQuery:hour}/';

/** Where Firehose puts what it could not partition or deliver, by kind and day. */
export const SINK_ERROR_PREFIX = 'errors/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/';

/** The Sink function's timeout: a batch of PutRecordBatch calls with their retries. */
const SINK_TIMEOUT = Duration.seconds(60);

export interface IngestionSinkProps {
  /** SINK from the route table. */
  spec: Pick<RouteSpec, 'id' | 'entry'>;
  /** The history table: its stream (NEW_IMAGE) is the sink's source. */
  history: TableV2;
  settings: SinkSettings;
  /** Keep the bucket (and its records) when the stack goes. */
  retainData: boolean;
  logs: FunctionLogs;
}

/**
 * The ingestion sink (PROTOCOL §11, docs/ingestion.md):
 *
 * ```
 *  history table ──stream (INSERT)──▶ event source mapping ──▶ Sink ──PutRecordBatch──▶ Firehose ──▶ S3
 *                                        │ retries, bisect                              controller=/topic=/hour=/
 *                                        └──▶ dead-letter queue (what never succeeded)
 * ```
 *
 * The bucket: S3-managed encryption, public access blocked, TLS only, Glacier Instant Retrieval
 * after `glacierAfterDays`, expiry after `expireAfterDays` if set. The delivery stream: direct put,
 * encrypted with an AWS-owned key, dynamic partitioning by {@link PARTITION_QUERY}, buffering from
 * the settings, its errors logged to CloudWatch and written under {@link SINK_ERROR_PREFIX}.
 * The mapping starts at TRIM_HORIZON (nothing the table holds is skipped), passes only INSERTs,
 * reports the first failed record (ReportBatchItemFailures, lambdas/handlers/sink.ts), bisects a
 * failing batch, and after `retryAttempts` sends the failed batch's description to the queue.
 * Grants: the Sink function reads only this table's stream and puts only to this delivery stream.
 */
export class IngestionSink extends Construct {
  readonly bucket: Bucket;
  readonly deliveryStream: CfnDeliveryStream;
  readonly handler: QosFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IngestionSinkProps) {
    super(scope, id);
    const { settings } = props;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy,
      lifecycleRules: [
        {
          id: 'records',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          transitions: [{ storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(settings.glacierAfterDays) }],
          ...(settings.expireAfterDays > 0 ? { expiration: Duration.days(settings.expireAfterDays) } : {}),
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the Firehose role writes this bucket (its policy is the only grant); S3 server access logs would add a log object per request to a second bucket. ' +
        'Who read the records is audited with CloudTrail data events where a deployment needs it (docs/ingestion.md).',
    });

    const logGroup = new LogGroup(this, 'DeliveryLogs', { retention: props.logs.retention, removalPolicy: props.logs.removalPolicy });
    const logStream = new LogStream(this, 'DeliveryLogStream', { logGroup, removalPolicy: props.logs.removalPolicy });
    const role = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      inlinePolicies: {
        delivery: new PolicyDocument({
          statements: [
            // What Firehose's S3 destination needs (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3).
            new PolicyStatement({
              effect: Effect.ALLOW,
              actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'],
              resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
            }),
            new PolicyStatement({ effect: Effect.ALLOW, actions: ['logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
          ],
        }),
      },
    });
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason: 'Firehose writes objects under keys made at delivery time (partition and time): the objects of this one bucket, nothing broader.',
    });

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: SINK_PREFIX,
        errorOutputPrefix: SINK_ERROR_PREFIX,
        bufferingHints: { intervalInSeconds: settings.bufferingSeconds, sizeInMBs: settings.bufferingMiB },
        compressionFormat: 'UNCOMPRESSED',
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: PARTITION_QUERY },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        cloudWatchLoggingOptions: { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: logStream.logStreamName },
      },
    });
    // The role's policy is inline (part of the role), so the stream's GetAtt on the role is all the ordering
    // it needs: Firehose checks it can write the bucket when the stream is created.

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the dead-letter destination of the sink's event source mapping (batches that never succeeded): it has no dead-letter queue of its own.",
    });

    this.handler = new QosFunction(this, props.spec.id, {
      entry: props.spec.entry,
      timeout: SINK_TIMEOUT,
      environment: { [SINK_ENV.deliveryStream]: this.deliveryStream.ref },
      logs: props.logs,
    });
    this.handler.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['firehose:PutRecordBatch'], resources: [this.deliveryStream.attrArn] }));
    // Grants the stream's read actions (DescribeStream, GetRecords, GetShardIterator, ListStreams) to the function's role.
    this.handler.addEventSource(
      new DynamoEventSource(props.history, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.batchingWindowSeconds),
        bisectBatchOnError: true,
        retryAttempts: settings.retryAttempts,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
      }),
    );
  }
}
