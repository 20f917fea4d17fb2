import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Qos } from '../../lambdas/core/types.js';
import { DIMENSION, METRICS, METRIC_NAMESPACE, SERVICE_NAME, type MetricName } from '../../lambdas/telemetry/metric-names.js';

export interface MonitoringProps {
  /** The stage the functions report as their `stage` dimension (QOSGATE_STAGE). */
  stageName: string;
  /** Every function of the stack, by route-table id. */
  functions: Array<{ id: string; fn: IFunction }>;
  /** The WebSocket API's id and stage, the dimensions of API Gateway's metrics. */
  apiId: string;
  tables: Record<string, TableV2>;
  /** Frames resent per minute above which (5 minutes running) the resend-rate alarm fires. */
  resendAlarmThreshold: number;
  /** Alarm e-mail: an SNS topic with this address subscribed; no topic without it. */
  alarmEmail?: string;
  /** The fan-out queue (lib/constructs/fanout-queue.ts): alarms on its dead letters and on jobs waiting too long. */
  fanout?: { queue: IQueue; deadLetterQueue: IQueue; oldestMessageAlarmSeconds: number };
  /**
   * The ingestion sink (lib/constructs/ingestion-sink.ts): alarms on Firehose's delivery to S3
   * (failures, and records older than `freshnessAlarmSeconds` not yet delivered), on the Sink
   * function falling behind the stream, and on its dead-letter queue.
   */
  sink?: { fn: IFunction; deliveryStreamName: string; deadLetterQueue: IQueue; freshnessAlarmSeconds: number };
}

/** The Sink's iterator age (ms) above which it is falling behind: records would reach S3 later than PROTOCOL §11's minute plus buffering. */
export const SINK_ITERATOR_AGE_ALARM_MS = 60_000;

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * What an operator watches: one CloudWatch dashboard (qosgate's own EMF metrics beside Lambda
 * errors, throttles and duration, API Gateway connects, messages and errors, DynamoDB
 * throttles) and the alarms, optionally mailed through an SNS topic.
 *
 * The custom metrics are read by the names, namespace and dimensions of
 * lambdas/telemetry/metric-names.ts, the same constants the handlers emit with.
 */
export class Monitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly topic?: Topic;
  readonly deadLetterAlarm: Alarm;
  readonly resendRateAlarm: Alarm;
  readonly functionErrorAlarms: Record<string, Alarm> = {};
  readonly apiServerErrorAlarm: Alarm;
  readonly tableThrottleAlarms: Record<string, Alarm> = {};
  /** A page job was dead-lettered (its page failed maxReceiveCount times): some recipients were not handed the message. */
  readonly fanoutDeadLetterAlarm?: Alarm;
  /** A page job waited longer than the threshold: the workers are not keeping up (or not running). */
  readonly fanoutBacklogAlarm?: Alarm;
  /** Sink alarms: Firehose failed to deliver to S3, delivery is late, the Sink function lags the stream, a batch was dead-lettered. */
  readonly sinkAlarms?: { deliveryFailure: Alarm; dataFreshness: Alarm; iteratorAge: Alarm; deadLetter: Alarm };

  constructor(scope: Construct, id: string, private readonly props: MonitoringProps) {
    super(scope, id);
    const alarms: Alarm[] = [];

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'qosgate: a message was dead-lettered (attempt limit or TTL reached). Inspect and replay: docs/deploy.md "Dead letters".',
      metric: this.custom('DeadLettered', undefined, MINUTE, 'Sum', false),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.resendRateAlarm = new Alarm(this, 'ResendRateAlarm', {
      alarmDescription: `qosgate: more than ${props.resendAlarmThreshold} frames resent per minute for 5 minutes: clients are not acking (or acks are lost).`,
      metric: this.custom('Resent', undefined, MINUTE, 'Sum', false),
      threshold: props.resendAlarmThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.push(this.deadLetterAlarm, this.resendRateAlarm);

    for (const { id: fnId, fn } of props.functions) {
      // The handlers turn every expected failure into a frame or a status, so any Lambda
      // error (an uncaught exception, a timeout, out of memory) is a bug worth a look.
      const alarm = new Alarm(this, `${fnId}ErrorsAlarm`, {
        alarmDescription: `qosgate: the ${fnId} function failed (uncaught error, timeout or out of memory).`,
        metric: fn.metricErrors({ period: MINUTE, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.functionErrorAlarms[fnId] = alarm;
      alarms.push(alarm);
    }

    // WebSocket APIs have no 5XXError metric: ExecutionError counts the integration calls that
    // failed (Lambda errors, throttles, timeouts), which clients see as "Internal server error".
    // IntegrationError is graphed but not alarmed: it includes the 4xx $connect returns on a bad handshake.
    this.apiServerErrorAlarm = new Alarm(this, 'ApiExecutionErrorAlarm', {
      alarmDescription: 'qosgate: API Gateway could not run an integration (the WebSocket equivalent of a 5xx).',
      metric: this.api('ExecutionError', 'Sum', FIVE_MINUTES),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.push(this.apiServerErrorAlarm);

    for (const [name, table] of Object.entries(props.tables)) {
      const alarm = new Alarm(this, `${table.node.id}ThrottleAlarm`, {
        alarmDescription: `qosgate: DynamoDB throttled requests to the ${name} table (on-demand: a sudden spike above twice the previous peak, or the table's account limit).`,
        metric: this.tableThrottles(table, FIVE_MINUTES),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.tableThrottleAlarms[name] = alarm;
      alarms.push(alarm);
    }

    if (props.fanout) {
      const { queue, deadLetterQueue, oldestMessageAlarmSeconds } = props.fanout;
      this.fanoutDeadLetterAlarm = new Alarm(this, 'FanoutDeadLetterAlarm', {
        alarmDescription:
          'qosgate: a fan-out page job is in the dead-letter queue (it failed maxReceiveCount times), so part of an audience was not handed a message. Read the job, fix the cause, redrive it (docs/deploy.md).',
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.fanoutBacklogAlarm = new Alarm(this, 'FanoutBacklogAlarm', {
        alarmDescription: `qosgate: a fan-out page job has waited over ${oldestMessageAlarmSeconds} s: the page workers are not keeping up (maximum concurrency, throttling) or failing.`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum' }),
        threshold: oldestMessageAlarmSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarms.push(this.fanoutDeadLetterAlarm, this.fanoutBacklogAlarm);
    }

    if (props.sink) {
      const sink = props.sink;
      const firehose = (metricName: string, statistic: string) =>
        new Metric({ namespace: 'AWS/Firehose', metricName, dimensionsMap: { DeliveryStreamName: sink.deliveryStreamName }, statistic, period: FIVE_MINUTES });
      this.sinkAlarms = {
        deliveryFailure: new Alarm(this, 'SinkDeliveryFailureAlarm', {
          alarmDescription: 'qosgate: Firehose failed to deliver sink records to S3 (DeliveryToS3.Success below 1): see its log group and the errors/ prefix (docs/ingestion.md).',
          metric: firehose('DeliveryToS3.Success', 'Minimum'),
          threshold: 1,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        dataFreshness: new Alarm(this, 'SinkDataFreshnessAlarm', {
          alarmDescription: `qosgate: the oldest record in Firehose is over ${sink.freshnessAlarmSeconds} s old: delivery to S3 is stuck or retrying.`,
          metric: firehose('DeliveryToS3.DataFreshness', 'Maximum'),
          threshold: sink.freshnessAlarmSeconds,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        iteratorAge: new Alarm(this, 'SinkIteratorAgeAlarm', {
          alarmDescription: `qosgate: the Sink function is over ${SINK_ITERATOR_AGE_ALARM_MS / 1000} s behind the history stream (failing batches being retried, or throttled).`,
          metric: sink.fn.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE }),
          threshold: SINK_ITERATOR_AGE_ALARM_MS,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        deadLetter: new Alarm(this, 'SinkDeadLetterAlarm', {
          alarmDescription:
            'qosgate: a batch of history stream records failed every retry and its description is in the sink dead-letter queue: those records are in the history table but not in S3 (docs/ingestion.md "Replaying").',
          metric: sink.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum' }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      };
      alarms.push(...Object.values(this.sinkAlarms));
    }

    if (props.alarmEmail !== undefined) {
      this.topic = new Topic(this, 'AlarmTopic', { displayName: `qosgate ${props.stageName} alarms`, enforceSSL: true });
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(this.topic));
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.addWidgets(alarms);
  }

  /** A qosgate EMF metric with exactly the dimensions the handlers emit it with. */
  custom(name: MetricName, qos?: Qos, period: Duration = MINUTE, statistic = 'Sum', labelled = true): Metric {
    const dimensionsMap: Record<string, string> = { [DIMENSION.service]: SERVICE_NAME, [DIMENSION.stage]: this.props.stageName };
    if (qos !== undefined) dimensionsMap[DIMENSION.qos] = String(qos);
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap,
      period,
      statistic,
      // A label would make an alarm a metric-math alarm; only graphs get one.
      ...(labelled ? { label: qos === undefined ? name : `${name} QoS ${qos}` } : {}),
    });
  }

  /** An API Gateway metric of this API's stage. */
  api(name: string, statistic = 'Sum', period: Duration = MINUTE): Metric {
    return new Metric({ namespace: 'AWS/ApiGateway', metricName: name, dimensionsMap: { ApiId: this.props.apiId, Stage: this.props.stageName }, statistic, period });
  }

  private tableThrottles(table: TableV2, period: Duration): IMetric {
    // Ids are per table: one graph holds every table's expression, and ids must not repeat.
    const key = table.node.id.toLowerCase();
    return new MathExpression({
      expression: `${key}Reads + ${key}Writes`,
      usingMetrics: {
        [`${key}Reads`]: table.metric('ReadThrottleEvents', { statistic: 'Sum', period }),
        [`${key}Writes`]: table.metric('WriteThrottleEvents', { statistic: 'Sum', period }),
      },
      period,
      label: `${table.node.id} throttles`,
    });
  }

  private byQos(name: MetricName, qosLevels: Qos[], statistic = 'Sum'): Metric[] {
    return qosLevels.map((qos) => this.custom(name, qos, MINUTE, statistic));
  }

  private addWidgets(alarms: Alarm[]): void {
    const fns = this.props.functions;
    const stack = Stack.of(this);
    const width = 8;
    const height = 6;
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# qosgate \`${this.props.stageName}\`\nMessages by QoS, acks, resends and dead letters (namespace \`${METRIC_NAMESPACE}\`), then Lambda, API Gateway and DynamoDB. Dead letters: docs/deploy.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Published by QoS', left: this.byQos('Published', [0, 1, 2]), width, height }),
      new GraphWidget({ title: 'Delivered by QoS (first sends)', left: this.byQos('Delivered', [0, 1, 2]), width, height }),
      new GraphWidget({ title: 'Acked by QoS', left: this.byQos('Acked', [1, 2]), width, height }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ack latency (ms, p50 / p99)',
        left: [...this.byQos('AckLatency', [1, 2], 'p50'), ...this.byQos('AckLatency', [1, 2], 'p99')],
        width,
        height,
      }),
      new GraphWidget({
        title: 'Pending: stored, due for resend, resent',
        left: [this.custom('PendingStored'), this.custom('PendingDue'), this.custom('Resent')],
        leftAnnotations: [{ value: this.props.resendAlarmThreshold, label: 'resend alarm' }],
        width,
        height,
      }),
      new GraphWidget({
        title: 'Dead-lettered, expired (QoS 1 / 2), gone connections',
        // Expired: no alarm. The publisher chose the expiry; copies expiring for away recipients is the feature working.
        left: [this.custom('DeadLettered'), ...this.byQos('Expired', [1, 2]), this.custom('GoneConnections')],
        width,
        height,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Lambda errors', left: fns.map(({ id, fn }) => fn.metricErrors({ period: MINUTE, statistic: 'Sum', label: id })), width, height }),
      new GraphWidget({ title: 'Lambda throttles', left: fns.map(({ id, fn }) => fn.metricThrottles({ period: MINUTE, statistic: 'Sum', label: id })), width, height }),
      new GraphWidget({ title: 'Lambda duration (ms, p99)', left: fns.map(({ id, fn }) => fn.metricDuration({ period: MINUTE, statistic: 'p99', label: id })), width, height }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'API Gateway connects and messages', left: [this.api('ConnectCount'), this.api('MessageCount')], width, height }),
      new GraphWidget({ title: 'API Gateway errors', left: [this.api('ClientError'), this.api('IntegrationError'), this.api('ExecutionError')], width, height }),
      new GraphWidget({
        title: 'DynamoDB throttled requests',
        left: Object.values(this.props.tables).map((table) => this.tableThrottles(table, MINUTE)),
        width,
        height,
      }),
    );
    const fanout = this.props.fanout;
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Fan-out: page jobs queued, waiting, dead-lettered',
        left: [
          this.custom('PageJobsQueued'),
          ...(fanout
            ? [
                fanout.queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: 'waiting' }),
                fanout.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: 'dead-lettered' }),
              ]
            : []),
        ],
        ...(fanout ? { right: [fanout.queue.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum', label: 'oldest job (s)' })] } : {}),
        width: 24,
        height,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: `Alarms (${stack.stackName})`, alarms, width: 24, height: 4 }));
  }
}

/** Every custom metric name, for tests and docs. */
export const CUSTOM_METRIC_NAMES = Object.keys(METRICS) as MetricName[];
