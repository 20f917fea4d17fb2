import { describe, expect, it } from 'vitest';
import { startEventSourceMapping, type SqsRecordEvent } from '../../../local/sqs/event-source-mapping.js';
import { SqsEngine } from '../../../local/sqs/sqs-engine.js';

/** The local event source mapping: batches, concurrency, the SQSEvent shape, partial batch failures and retries. */
describe('local SQS event source mapping', () => {
  let time = 4_000_000_000_000;
  const setup = (spec: { batchSize: number; maximumConcurrency?: number; reportBatchItemFailures?: boolean; maxReceiveCount?: number }, handler: (event: SqsRecordEvent) => Promise<unknown>) => {
    const engine = new SqsEngine(() => time);
    engine.createQueue('dlq');
    engine.createQueue('jobs', { visibilityTimeoutSeconds: 60, redrive: { deadLetterQueue: 'dlq', maxReceiveCount: spec.maxReceiveCount ?? 3 } });
    const mapping = startEventSourceMapping(
      engine,
      { queueName: 'jobs', functionId: 'Worker', batchSize: spec.batchSize, reportBatchItemFailures: spec.reportBatchItemFailures ?? true, ...(spec.maximumConcurrency ? { maximumConcurrency: spec.maximumConcurrency } : {}) },
      { name: 'Worker', timeoutMs: 5000, handler: handler as never },
      { autoPoll: false },
    );
    return { engine, mapping };
  };

  it('invokes with batches of at most batchSize records in the SQSEvent shape, and deletes what succeeded', async () => {
    const events: SqsRecordEvent[] = [];
    const { engine, mapping } = setup({ batchSize: 3 }, async (event) => void events.push(event));
    for (let i = 0; i < 7; i += 1) engine.send('jobs', `job-${i}`);
    expect(mapping.pollOnce()).toBe(3);
    await mapping.idle();
    expect(events.map((e) => e.Records.length)).toEqual([3, 3, 1]);
    expect(events[0]?.Records[0]).toMatchObject({
      body: 'job-0',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:jobs',
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', SenderId: '000000000000' },
      messageAttributes: {},
    });
    expect(typeof events[0]?.Records[0]?.receiptHandle).toBe('string');
    expect(engine.counts('jobs')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('runs at most maximumConcurrency invocations at once', async () => {
    let running = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const { engine, mapping } = setup({ batchSize: 1, maximumConcurrency: 2 }, async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
    });
    for (let i = 0; i < 5; i += 1) engine.send('jobs', `job-${i}`);
    expect(mapping.pollOnce()).toBe(2);
    expect(mapping.pollOnce()).toBe(0);
    expect(engine.counts('jobs')).toEqual({ visible: 3, inFlight: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    let handled = 0;
    while (release.length > 0) {
      handled += 1;
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
      mapping.pollOnce();
    }
    await mapping.idle();
    expect(handled).toBe(5);
    expect(most).toBe(2);
  });

  it('keeps only the records named in batchItemFailures, which come back after the visibility timeout', async () => {
    const seen: string[] = [];
    const { engine, mapping } = setup({ batchSize: 3 }, async (event) => {
      seen.push(...event.Records.map((r) => r.body));
      return { batchItemFailures: event.Records.filter((r) => r.body === 'b').map((r) => ({ itemIdentifier: r.messageId })) };
    });
    for (const body of ['a', 'b', 'c']) engine.send('jobs', body);
    mapping.pollOnce();
    await mapping.idle();
    expect(engine.counts('jobs')).toEqual({ visible: 0, inFlight: 1 });
    time += 60_000;
    mapping.pollOnce();
    await mapping.idle();
    expect(seen).toEqual(['a', 'b', 'c', 'b']);
  });

  it('retries the whole batch after an error or an invalid response, and dead-letters a record after maxReceiveCount', async () => {
    let calls = 0;
    const { engine, mapping } = setup({ batchSize: 2, maxReceiveCount: 2 }, async () => {
      calls += 1;
      if (calls === 1) throw new Error('worker crashed');
      return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
    });
    engine.send('jobs', 'a');
    engine.send('jobs', 'b');
    mapping.pollOnce();
    await mapping.idle();
    expect(engine.counts('jobs')).toEqual({ visible: 0, inFlight: 2 });
    time += 60_000;
    mapping.pollOnce();
    await mapping.idle();
    expect(engine.counts('jobs')).toEqual({ visible: 0, inFlight: 2 });
    time += 60_000;
    expect(mapping.pollOnce()).toBe(0);
    expect(engine.peek('dlq').map((m) => m.body).sort()).toEqual(['a', 'b']);
    expect(calls).toBe(2);
  });
});
