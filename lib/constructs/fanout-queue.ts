import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/routes.js';
import type { FanoutSettings } from '../config.js';
import { QosFunction, type FunctionLogs } from './qos-function.js';

/**
 * What one recipient of a page may cost the worker, in ms (reading it, storing its entry,
 * posting its frame), measured by `npm run bench` (its Lambda sizing table): the longest page
 * job of the 100,000-session fan-out took 47 s for 1,000 recipients on this 2-core machine, where
 * ten workers, DynamoDB Local and the counting endpoint share the CPU; a lone page job of 1,000
 * took 2.9 s. Sizing from the worst of the two keeps every invocation within half its timeout
 * even under that contention; on Lambda, where each worker has its own CPU, a page takes less.
 */
export const PAGE_MS_PER_RECIPIENT = 50;

/**
 * What one recipient a span job only reads costs it, in ms: a span job reads where each of its
 * `spanPages` pages ends (one Query of `jobPageSize` a page) and hands on the first only. A
 * read is one Query per page where a handed-on recipient costs a post of its own and a share of
 * a batch write, so a tenth of PAGE_MS_PER_RECIPIENT; the bench's sizing pass measures the span
 * jobs of its 10,000-session fan-out against the timeout this gives.
 */
export const READ_MS_PER_RECIPIENT = 5;

/** Never less than a route function's: cold starts and SDK retries take seconds on their own. */
const MIN_WORKER_TIMEOUT = Duration.seconds(10);

/** Lambda's longest timeout. */
const MAX_WORKER_TIMEOUT_SECONDS = 900;

/**
 * The worker's timeout: twice what its largest invocation takes (a batch of `batchSize` span
 * jobs, each handing on a page of `jobPageSize` and reading `spanPages - 1` more), so no
 * invocation runs past half of it (issue 13), and at least 10 s. 1 job of 200 recipients and
 * 9 pages read ahead (the default): 10 s + 9 s, so 38 s. Sizes whose batch could not finish
 * within half of Lambda's 900 s are refused at synth.
 */
export function fanoutWorkerTimeout(settings: Pick<FanoutSettings, 'batchSize' | 'jobPageSize' | 'spanPages'>): Duration {
  const perJobMs = settings.jobPageSize * PAGE_MS_PER_RECIPIENT + (settings.spanPages - 1) * settings.jobPageSize * READ_MS_PER_RECIPIENT;
  const seconds = Math.ceil((2 * settings.batchSize * perJobMs) / 1000);
  if (seconds > MAX_WORKER_TIMEOUT_SECONDS) {
    throw new Error(
      `qosgate: fanout.batchSize x fanout.jobPageSize = ${settings.batchSize * settings.jobPageSize} recipients per invocation, and ${settings.spanPages - 1} pages read ahead per job (fanout.spanPages), would need a ${seconds} s timeout (twice ${PAGE_MS_PER_RECIPIENT} ms a recipient handed on and ${READ_MS_PER_RECIPIENT} ms a recipient read), over Lambda's ${MAX_WORKER_TIMEOUT_SECONDS} s: lower one of them`,
    );
  }
  return Duration.seconds(Math.max(MIN_WORKER_TIMEOUT.toSeconds(), seconds));
}

export interface FanoutQueueProps {
  /** FANOUT_PAGE from the route table (its memory too). */
  spec: Pick<RouteSpec, 'id' | 'entry' | 'memoryMb'>;
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
      memorySize: props.spec.memoryMb,
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
