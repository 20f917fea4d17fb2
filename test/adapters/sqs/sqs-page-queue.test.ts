import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsPageQueue } from '../../../lambdas/adapters/sqs/sqs-page-queue.js';
import { parsePageJob, type PageJob } from '../../../lambdas/core/page-job.js';
import { startSqsServer } from '../../../local/sqs/sqs-server.js';
import { describePageQueueContract } from '../page-queue-contract.js';

/** The SDK's standard retry mode tries a throttled request three times in all. */
const SDK_ATTEMPTS = 3;

describePageQueueContract('sqs (local SQS engine, real SDK client)', async () => {
  const server = await startSqsServer();
  server.engine.createQueue('fanout');
  const sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const queueUrl = server.queueUrl('fanout');
  return {
    queue: new SqsPageQueue(sqs, queueUrl),
    received: async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      const jobs: PageJob[] = [];
      for (const message of Messages) {
        jobs.push(parsePageJob(message.Body ?? ''));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
      return jobs;
    },
    refuseSends: (count) => server.refuse('SendMessage', count * SDK_ATTEMPTS),
    close: async () => {
      sqs.destroy();
      await server.close();
    },
  };
});
