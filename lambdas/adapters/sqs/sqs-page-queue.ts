import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodePageJob, type PageJob } from '../../core/page-job.js';
import type { PageQueue } from '../../ports/page-queue.js';

/**
 * Page jobs on an SQS standard queue (the stack's FanoutQueue; the local runtime's SQS engine
 * locally), one message per job, its body the job's JSON. The client is injected; SendMessage
 * is answered only once SQS has stored the message redundantly, which is what "queued" means
 * for the publisher's ack (docs/protocol.md §4). Throttling is retried by the SDK; what still
 * fails throws.
 */
export class SqsPageQueue implements PageQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(job: PageJob): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: encodePageJob(job) }));
  }
}
