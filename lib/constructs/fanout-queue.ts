import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/routes.js';
import type { FanoutSettings } from '../config.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';

/**
 * What one recipient of a page costs the worker, in ms: reading it, storing its entry and
 * posting its frame. Measured here: one page job of 1,000 QoS 1 recipients (1 KB payload) on
 * DynamoDB Local and a local management endpoint took 2,930 ms (2.93 ms a recipient; the
 * issue 12 bench's 10,000 real sockets in 18.2 s is 1.82 ms), so 3. DynamoDB Local is slower
 * than DynamoDB; the lead replaces this with the bench's measurement of a page job.
 */
export const PAGE_MS_PER_RECIPIENT = 3;

/** Never less than a route function's: cold starts and SDK retries take seconds on their own. */
const MIN_WORKER_TIMEOUT = Duration.seconds(10);

/**
 * The worker's timeout: twice what its largest invocation takes (a batch of `batchSize` pages
 * of `jobPageSize`), so no invocation runs past half of it (issue 13), and at least 10 s.
 * 1 job of 1,000 recipients: ~3 s, so the floor of 10 s (no invocation past half of it).
 */
export function fanoutWorkerTimeout(settings: Pick<FanoutSettings, 'batchSize' | 'jobPageSize'>): Duration {
  const seconds = Math.ceil((2 * settings.batchSize * settings.jobPageSize * PAGE_MS_PER_RECIPIENT) / 1000);
  return Duration.seconds(Math.max(MIN_WORKER_TIMEOUT.toSeconds(), seconds));
}

/** 512 MB: a page's 32 concurrent posts and its BatchWriteItems want more CPU than a route's 256 (Lambda gives CPU with memory). */
export const FANOUT_WORKER_MEMORY_MB = 512;

export interface FanoutQueueProps {
  /** FANOUT_PAGE from the route table. */
  spec: Pick<RouteSpec, 'id' | 'entry'>;
  settings: FanoutSettings;
  /** How long a job is worth keeping: a page delivered after its message's TTL would only be dead-lettered. */
  retention: Duration;
  /** The policy overrides and the callback URL; the stack adds table names, the queue URL and the page sizes. */
  environment?: Record<string, string>;
  logs: FunctionLogs;
}

/**
 * The fan-out queue and its worker (docs/architecture.md "Fan-out beyond one Lambda"): an SQS
 * standard queue (SSE with SQS-managed keys, TLS only) whose jobs a Lambda event source mapping
 * hands the FanoutPage worker, `batchSize` at a time and at most `maximumConcurrency` at once,
 * reporting failed records only (ReportBatchItemFailures); a job received `maxReceiveCount`
 * times goes to the dead-letter queue (kept 14 days, to read and redrive).
 *
 * Visibility timeout six times the worker's timeout (what AWS recommends for an event source
 * mapping), and the page lease two times: a page held by a live worker is never claimed by
 * another, and a duplicate failed back while the lease runs comes round after it.
 */
export class FanoutQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: QosFunction;
  /** How long a worker holds a page (FANOUT_LEASE_MS). */
  readonly leaseMs: number;

  constructor(scope: Construct, id: string, props: FanoutQueueProps) {
    super(scope, id);
    const timeout = fanoutWorkerTimeout(props.settings);
    this.leaseMs = 2 * timeout.toMilliseconds();
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * timeout.toSeconds()),
      retentionPeriod: props.retention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.settings.maxReceiveCount },
    });
    this.worker = new QosFunction(this, props.spec.id, {
      entry: props.spec.entry,
      timeout,
      memorySize: FANOUT_WORKER_MEMORY_MB,
      environment: props.environment,
      logs: props.logs,
    });
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.settings.batchSize,
        maxConcurrency: props.settings.maximumConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
