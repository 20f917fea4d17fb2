import { invoke } from '../gateway/invoke.js';
import type { GatewayFunction } from '../gateway/types.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, type ReceivedMessage, type SqsEngine } from './sqs-engine.js';

/**
 * A Lambda event source mapping on an SQS queue, as AWS runs one
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): it polls the queue, invokes the
 * function with batches of up to `batchSize` records (the SQSEvent shape), at most
 * `maximumConcurrency` invocations at once, and deletes what succeeded. A failed or timed-out
 * invocation deletes nothing: the whole batch comes back after the visibility timeout. With
 * ReportBatchItemFailures, only the records the function names in `batchItemFailures` stay; a
 * response naming a record that is not in the batch (or not an object) fails the whole batch, as
 * Lambda treats an invalid response. Redrive to the dead-letter queue is the queue's (SqsEngine).
 *
 * The function runs through the same `invoke` as the gateway's functions (local/gateway/invoke.ts),
 * bounded by its own timeout.
 */
export interface EventSourceMappingSpec {
  queueName: string;
  functionId: string;
  batchSize: number;
  /** At most this many invocations at once (ScalingConfig.MaximumConcurrency; unbounded if absent). */
  maximumConcurrency?: number;
  reportBatchItemFailures: boolean;
}

export interface EventSourceMapping {
  /** Starts as many invocations as concurrency allows from what is visible now; resolves with how many it started. */
  pollOnce(): number;
  /** Resolves once no invocation is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface SqsRecordEvent {
  Records: Array<{
    messageId: string;
    receiptHandle: string;
    body: string;
    attributes: ReceivedMessage['attributes'];
    messageAttributes: Record<string, never>;
    md5OfBody: string;
    eventSource: 'aws:sqs';
    eventSourceARN: string;
    awsRegion: string;
  }>;
}

export function sqsEvent(queueName: string, messages: ReceivedMessage[]): SqsRecordEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: { ...m.attributes },
      messageAttributes: {},
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queueName}`,
      awsRegion: LOCAL_REGION,
    })),
  };
}

/** What the mapping deletes after an invocation: the receipt handles of the records that succeeded. */
export function succeeded(messages: ReceivedMessage[], result: Awaited<ReturnType<typeof invoke>>, reportBatchItemFailures: boolean): ReceivedMessage[] {
  if (!result.ok) return [];
  if (!reportBatchItemFailures) return messages;
  const response = result.value as { batchItemFailures?: unknown } | null | undefined;
  const failures = response?.batchItemFailures;
  if (failures === undefined || (Array.isArray(failures) && failures.length === 0)) return messages;
  if (!Array.isArray(failures)) return [];
  const ids = new Set(messages.map((m) => m.messageId));
  const failed = new Set<string>();
  for (const failure of failures as Array<{ itemIdentifier?: unknown } | null>) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return []; // an invalid response fails the batch
    failed.add(id);
  }
  return messages.filter((m) => !failed.has(m.messageId));
}

export function startEventSourceMapping(
  engine: SqsEngine,
  spec: EventSourceMappingSpec,
  fn: GatewayFunction,
  options: { pollIntervalMs?: number; onError?: (error: unknown) => void; autoPoll?: boolean } = {},
): EventSourceMapping {
  const running = new Set<Promise<void>>();
  let stopped = false;
  const limit = spec.maximumConcurrency ?? Number.POSITIVE_INFINITY;

  const run = (messages: ReceivedMessage[]): Promise<void> =>
    invoke(fn, sqsEvent(spec.queueName, messages), undefined, `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}`).then((result) => {
      if (!result.ok) options.onError?.(result.error);
      for (const message of succeeded(messages, result, spec.reportBatchItemFailures)) engine.delete(spec.queueName, message.receiptHandle);
    });

  const pollOnce = (): number => {
    let started = 0;
    while (!stopped && running.size < limit) {
      const messages = engine.receive(spec.queueName, spec.batchSize);
      if (messages.length === 0) break;
      const invocation: Promise<void> = run(messages)
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          running.delete(invocation);
          // A slot is free: take the next batch at once, as the mapping's pollers do.
          if (!stopped && options.autoPoll !== false) pollOnce();
        });
      running.add(invocation);
      started += 1;
    }
    return started;
  };

  const timer = options.autoPoll === false ? undefined : setInterval(pollOnce, options.pollIntervalMs ?? 25);
  timer?.unref();
  const idle = async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };
  return {
    pollOnce,
    idle,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await idle();
    },
  };
}
