import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, QueueDoesNotExist, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsEngine } from '../../../local/sqs/sqs-engine.js';
import { startSqsServer, type SqsServer } from '../../../local/sqs/sqs-server.js';

/** The local SQS engine's semantics, through the real SDK client (as the Lambdas reach it). */
describe('local SQS engine', () => {
  let time = 4_000_000_000_000;
  let server: SqsServer;
  let sqs: SQSClient;
  const start = async () => {
    const engine = new SqsEngine(() => time);
    engine.createQueue('dlq');
    engine.createQueue('jobs', { visibilityTimeoutSeconds: 30, redrive: { deadLetterQueue: 'dlq', maxReceiveCount: 2 } });
    server = await startSqsServer({ engine });
    sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
    return { url: server.queueUrl('jobs'), dlq: server.queueUrl('dlq') };
  };
  const receive = async (QueueUrl: string) =>
    (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages ?? [];
  afterEach(async () => {
    sqs?.destroy();
    await server?.close();
  });

  it('hides a received message for the visibility timeout, then hands it out again with a higher receive count', async () => {
    const { url } = await start();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'page-1' }));
    const [first] = await receive(url);
    expect(first).toMatchObject({ Body: 'page-1', Attributes: { ApproximateReceiveCount: '1' } });
    time += 29_999;
    expect(await receive(url)).toEqual([]);
    time += 1;
    const [again] = await receive(url);
    expect(again).toMatchObject({ Body: 'page-1', MessageId: first?.MessageId, Attributes: { ApproximateReceiveCount: '2' } });
    expect(again?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
  });

  it('deletes by the latest receipt handle only; an older one is accepted and deletes nothing, as in SQS', async () => {
    const { url } = await start();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const [first] = await receive(url);
    time += 30_000;
    const [second] = await receive(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    expect(server.engine.counts('jobs')).toEqual({ visible: 0, inFlight: 1 });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second?.ReceiptHandle }));
    expect(server.engine.counts('jobs')).toEqual({ visible: 0, inFlight: 0 });
    time += 30_000;
    expect(await receive(url)).toEqual([]);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue instead of handing it out again', async () => {
    const { url, dlq } = await start();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    await receive(url);
    time += 30_000;
    await receive(url);
    time += 30_000;
    expect(await receive(url)).toEqual([]);
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['All'] }));
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect(await receive(dlq)).toMatchObject([{ Body: 'poison', Attributes: { ApproximateReceiveCount: '1' } }]);
  });

  it('changes a message\'s visibility, batches sends, counts what is visible and in flight, and refuses an unknown queue by name', async () => {
    const { url } = await start();
    const batch = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'a' }, { Id: 'b', MessageBody: 'b' }] }));
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    const [a] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }))).Messages ?? [];
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: a?.ReceiptHandle, VisibilityTimeout: 0 }));
    const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(counts.Attributes).toMatchObject({ ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: `${server.endpoint}/000000000000/nope`, MessageBody: 'x' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});
