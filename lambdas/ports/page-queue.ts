import type { PageJob } from '../core/page-job.js';

/**
 * Where the pages of a large fan-out go beyond the first (docs/architecture.md "Fan-out beyond
 * one Lambda"): a durable queue whose consumer is the FanoutPage worker. On AWS an SQS standard
 * queue with a Lambda event source mapping (adapters/sqs/sqs-page-queue.ts); in tests and
 * in-memory hosts a list (adapters/memory/memory-page-queue.ts).
 *
 * A queue delivers each job at least once (SQS standard may hand one out twice): the worker's
 * page claim, not the queue, keeps a page from being stored or sent twice.
 */
export interface PageQueue {
  /**
   * Resolves once the queue has durably accepted the job (SQS: SendMessage answered). Any
   * failure (throttled, unreachable) throws: the caller must not ack what was not accepted
   * (PROTOCOL §4 "durably accepted").
   */
  send(job: PageJob): Promise<void>;
}
