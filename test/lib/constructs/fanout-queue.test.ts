import { readFileSync } from 'node:fs';
import { App, Duration, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FANOUT_ENV } from '../../../lambdas/config.js';
import { FANOUT_PAGE } from '../../../lambdas/routes.js';
import { ConfigError, resolveConfig } from '../../../lib/config.js';
import { fanoutWorkerTimeout } from '../../../lib/constructs/fanout-queue.js';
import { QosgateStack } from '../../../lib/qosgate-stack.js';

/** The fan-out queue, its dead-letter queue, the worker and its event source mapping, as synthesized. */
const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;
type Resource = { Type: string; Properties: Record<string, any> };

function build(fanout: Record<string, number> = {}) {
  const stack = new QosgateStack(new App({ context: CDK_CONTEXT }), 'Qosgate', { config: { fanout } });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, template, resources, id };
}

describe('fan-out queue', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build({ jobPageSize: 1000, spanPages: 1, batchSize: 1, maximumConcurrency: 20, maxReceiveCount: 4 });
  }, 180_000);

  it('is a standard queue with SSE (SQS-managed keys), TLS only, and a dead-letter queue after maxReceiveCount', () => {
    const { resources, id, stack } = built;
    const queue = resources[id(stack.fanout.queue)]!.Properties;
    expect(queue.FifoQueue).toBeUndefined();
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.fanout.deadLetterQueue), 'Arn'] }, maxReceiveCount: 4 });
    // Six times the worker's timeout, as AWS recommends for an event source mapping.
    expect(queue.VisibilityTimeout).toBe(600);
    expect(queue.MessageRetentionPeriod).toBe(86_400);
    const dlq = resources[id(stack.fanout.deadLetterQueue)]!.Properties;
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(dlq.MessageRetentionPeriod).toBe(1_209_600);
    const fanoutQueues = [id(stack.fanout.queue), id(stack.fanout.deadLetterQueue)];
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SQS::QueuePolicy' && fanoutQueues.includes(r.Properties.Queues[0].Ref));
    expect(policies).toHaveLength(2);
    for (const policy of policies) expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('feeds the worker by an event source mapping with the batch size, maximum concurrency and ReportBatchItemFailures', () => {
    const { resources, id, stack } = built;
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === id(stack.fanout.worker));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [id(stack.fanout.queue), 'Arn'] },
      FunctionName: { Ref: id(stack.fanout.worker) },
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 20 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('sizes the worker from a page: timeout twice a batch of span jobs (50 ms a recipient handed on, the worst the bench measured, and 5 ms a recipient read ahead), at least 10 s, at most Lambda\'s 900 s; 512 MB; the lease twice the timeout', () => {
    const { resources, id, stack } = built;
    const worker = resources[id(stack.fanout.worker)]!.Properties;
    expect(worker.Timeout).toBe(100);
    expect(worker.MemorySize).toBe(FANOUT_PAGE.memoryMb);
    expect(worker.Environment.Variables[FANOUT_ENV.leaseMs]).toBe('200000');
    expect(fanoutWorkerTimeout({ batchSize: 1, jobPageSize: 200, spanPages: 1 }).toSeconds()).toBe(20);
    // The default: a page of 200 handed on (10 s) and 9 more read (9 s), twice over.
    expect(fanoutWorkerTimeout({ batchSize: 1, jobPageSize: 200, spanPages: 10 }).toSeconds()).toBe(38);
    expect(() => fanoutWorkerTimeout({ batchSize: 10, jobPageSize: 5000, spanPages: 1 })).toThrow(/50000 recipients per invocation.*over Lambda's 900 s/);
    expect(() => fanoutWorkerTimeout({ batchSize: 2, jobPageSize: 2000, spanPages: 20 })).toThrow(/19 pages read ahead per job \(fanout.spanPages\).*over Lambda's 900 s/);
    expect(fanoutWorkerTimeout({ batchSize: 1, jobPageSize: 1, spanPages: 1 })).toEqual(Duration.seconds(10));
  });

  it('follows the configured sizes: a larger batch of pages gets a longer timeout and visibility timeout', () => {
    const { resources, id, stack } = build({ batchSize: 4, jobPageSize: 2000, spanPages: 1, inlinePageSize: 50 });
    expect(resources[id(stack.fanout.worker)]!.Properties.Timeout).toBe(800);
    expect(resources[id(stack.fanout.queue)]!.Properties.VisibilityTimeout).toBe(4800);
    const publish = resources[id(stack.routeFunctions.functionFor({ routeKey: 'publish' }))]!.Properties.Environment.Variables;
    expect(publish).toMatchObject({ [FANOUT_ENV.inlinePageSize]: '50', [FANOUT_ENV.jobPageSize]: '2000', [FANOUT_ENV.spanPages]: '1' });
  }, 180_000);
});

describe('fan-out settings (qosgate:fanout)', () => {
  it('defaults: an inline page of 200, job pages of 200, spans of 10 pages, one job a batch, 10 at once, 5 receives, a 5-minute backlog alarm', () => {
    expect(resolveConfig().fanout).toEqual({ inlinePageSize: 200, jobPageSize: 200, spanPages: 10, batchSize: 1, maximumConcurrency: 10, maxReceiveCount: 5, oldestMessageAlarmSeconds: 300 });
  });

  it.each([
    [{ inlinePageSize: 0 }, /fanout.inlinePageSize must be a whole number from 1 to 200, got 0/],
    [{ inlinePageSize: 201 }, /fanout.inlinePageSize must be a whole number from 1 to 200, got 201: the publishing function hands the inline page on within its 10 s route timeout/],
    [{ jobPageSize: 1.5 }, /fanout.jobPageSize must be a whole number from 1 to 5000/],
    [{ spanPages: 0 }, /fanout.spanPages must be a whole number from 1 to 20/],
    [{ spanPages: 21 }, /fanout.spanPages must be a whole number from 1 to 20/],
    [{ batchSize: 11 }, /fanout.batchSize must be a whole number from 1 to 10/],
    [{ maximumConcurrency: 1 }, /fanout.maximumConcurrency must be a whole number from 2 to 1000/],
    [{ pageSize: 10 }, /unknown fanout setting "pageSize"/],
  ])('refuses %j, saying why', (fanout, message) => {
    expect(() => resolveConfig({ fanout: fanout as never })).toThrow(ConfigError);
    expect(() => resolveConfig({ fanout: fanout as never })).toThrow(message);
  });
});
