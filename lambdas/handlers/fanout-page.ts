import type { AppDeps, FanoutDeps } from '../app/deps.js';
import { deliverPage } from '../app/fanout-page.js';
import { parsePageJob, PageJobError } from '../core/page-job.js';
import { errorText } from '../ports/logger.js';

/** The fields of an SQS record (Lambda's SQSEvent) the worker reads. */
export interface SqsRecord {
  messageId: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** Partial batch response: the event source mapping has ReportBatchItemFailures on. */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * The FanoutPage worker, invoked by the fan-out queue's event source mapping: hands on each
 * record's page (app/fanout-page.ts) and reports the records to try again, so one failed page
 * does not send its batch's finished pages round again. A page another worker holds (busy), a
 * page that failed (a store or the queue refusing), and a body that is not a page job (it can
 * never succeed: after maxReceiveCount the queue moves it to the dead-letter queue, where it can
 * be read) are all failures; nothing is thrown, so the mapping never retries the whole batch.
 */
export function createFanoutPageHandler(deps: AppDeps & { fanout: FanoutDeps }): (event: SqsEvent) => Promise<SqsBatchResponse> {
  return async (event) => {
    const failures: SqsBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records ?? []) {
      const receives = record.attributes?.ApproximateReceiveCount;
      try {
        const job = parsePageJob(record.body);
        const outcome = await deliverPage(deps, deps.fanout, job, deps.clock.now());
        if (outcome.result === 'busy') failures.push({ itemIdentifier: record.messageId });
        deps.log.info('Page', {
          messageId: job.messageId,
          result: outcome.result,
          ...(outcome.result === 'delivered' ? { ...outcome.stats } : {}),
          ...(receives ? { receives } : {}),
        });
      } catch (error) {
        failures.push({ itemIdentifier: record.messageId });
        const what = error instanceof PageJobError ? 'Page job refused' : 'Page failed';
        deps.log.error(what, { sqsMessageId: record.messageId, error: errorText(error), ...(receives ? { receives } : {}) });
      }
    }
    return { batchItemFailures: failures };
  };
}
