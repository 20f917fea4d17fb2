import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteItemCommand, DeleteTableCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { inject } from 'vitest';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbHistoryStore } from '../../../lambdas/adapters/dynamodb/dynamodb-history-store.js';
import type { HistoryRecord } from '../../../lambdas/core/types.js';
import type { GatewayFunction } from '../../../local/gateway/types.js';
import { startStreamMapping, type StreamEvent, type StreamMapping, type StreamMappingSpec } from '../../../local/streams/stream-mapping.js';
import { FUTURE_EPOCH_MS, testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/**
 * The local event source mapping on a DynamoDB stream, against DynamoDB Local's real Streams
 * API: records are written to a real history table, and the mapping reads them from its real
 * stream. The function is a recording stand-in whose failures the test scripts. Rounds are
 * driven by pollOnce (no timer), so nothing depends on timing.
 */
const client = testDynamoDbClient();
const doc = testDocumentClient(client);
const streams = new DynamoDBStreamsClient({ endpoint: inject('dynamodbEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const tables: string[] = [];
const running: StreamMapping[] = [];

afterAll(async () => {
  await Promise.all(running.map((m) => m.stop()));
  await Promise.all(tables.map((name) => client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined)));
  client.destroy();
  streams.destroy();
});

async function historyTable(): Promise<{ name: string; store: DynamoDbHistoryStore }> {
  const name = `${uniquePrefix('stream')}-history`;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: 'topicKey', KeyType: 'HASH' },
        { AttributeName: 'msgKey', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'topicKey', AttributeType: 'S' },
        { AttributeName: 'msgKey', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  tables.push(name);
  return { name, store: new DynamoDbHistoryStore(doc, name) };
}

const record = (messageId: string, receivedAt = FUTURE_EPOCH_MS): HistoryRecord => ({
  controller: 'sensor',
  topic: 'temp',
  data: { celsius: 20 },
  qos: 1,
  clientId: 'probe',
  receivedAt,
  messageId,
  expiresAt: receivedAt + 86_400_000,
});

/** A function that records each batch (the messageIds of its new images) and answers as `behave` says. */
function recordingFunction(behave: (ids: string[], call: number) => unknown = () => ({ batchItemFailures: [] })) {
  const calls: Array<{ ids: string[]; event: StreamEvent }> = [];
  const fn: GatewayFunction = {
    name: 'Sink',
    timeoutMs: 10_000,
    handler: async (event: StreamEvent) => {
      const ids = event.Records.map((r) => (r.dynamodb.NewImage as { messageId: { S: string } }).messageId.S);
      calls.push({ ids, event });
      const answer = behave(ids, calls.length);
      if (answer instanceof Error) throw answer;
      return typeof answer === 'function' ? answer(event) : answer;
    },
  };
  return { fn, calls };
}

const SPEC: Omit<StreamMappingSpec, 'tableName'> = {
  id: 'SinkMapping',
  functionId: 'Sink',
  batchSize: 100,
  batchingWindowMs: 0,
  startingPosition: 'TRIM_HORIZON',
  retryAttempts: -1,
  bisectOnError: false,
  reportBatchItemFailures: true,
  filterPatterns: ['{"eventName":["INSERT"]}'],
};

/** Polls until `done` holds, at most `rounds` rounds (a bound on work, not on time). */
async function pollUntil(mapping: StreamMapping, done: () => boolean, rounds = 50): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await mapping.pollOnce();
  if (!done()) throw new Error(`not done after ${rounds} rounds`);
}

function start(spec: Partial<StreamMappingSpec> & { tableName: string }, fn: GatewayFunction, extra: { checkpointFile?: string; onFailure?: (d: string) => void } = {}): StreamMapping {
  const mapping = startStreamMapping({ ...SPEC, ...spec }, fn, { dynamodb: client, streams, autoPoll: false, retryDelayMs: 0, ...extra });
  running.push(mapping);
  return mapping;
}

describe('stream event source mapping (DynamoDB Local streams)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qosgate-streams-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  it('hands the inserts over in order, in batches of at most batchSize, in the DynamoDBStreamEvent shape', async () => {
    const { name, store } = await historyTable();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const id of ids) await store.append([record(id)]);
    const { fn, calls } = recordingFunction();
    const mapping = start({ tableName: name, batchSize: 3 }, fn);
    await pollUntil(mapping, () => calls.flatMap((c) => c.ids).length === 7);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    const first = calls[0]!.event.Records[0]!;
    expect(first).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', eventSourceARN: expect.stringContaining(`table/${name}/stream/`) });
    expect(first.dynamodb.NewImage).toMatchObject({ controller: { S: 'sensor' }, messageId: { S: 'a' }, qos: { N: '1' } });
    const sequences = calls.flatMap((c) => c.event.Records.map((r) => r.dynamodb.SequenceNumber));
    expect(Object.values(mapping.checkpoints()!.shards)).toEqual([sequences.at(-1)]);
  });

  it('passes over what the filter does not take (a MODIFY, a REMOVE) and checkpoints past it', async () => {
    const { name, store } = await historyTable();
    await store.append([record('kept-1')]);
    const key = { topicKey: { S: 'sensor|temp' }, msgKey: { S: `${FUTURE_EPOCH_MS}#kept-1` } };
    await client.send(new UpdateItemCommand({ TableName: name, Key: key, UpdateExpression: 'SET clientId = :c', ExpressionAttributeValues: { ':c': { S: 'other' } } }));
    await client.send(new DeleteItemCommand({ TableName: name, Key: key }));
    await store.append([record('kept-2')]);
    const { fn, calls } = recordingFunction();
    const mapping = start({ tableName: name }, fn);
    await pollUntil(mapping, () => calls.flatMap((c) => c.ids).includes('kept-2'));
    expect(calls.flatMap((c) => c.event.Records.map((r) => r.eventName))).toEqual(['INSERT', 'INSERT']);
    expect(calls.flatMap((c) => c.ids)).toEqual(['kept-1', 'kept-2']);
  });

  it('tries a failing batch again, the same records, until it succeeds, and only then moves on', async () => {
    const { name, store } = await historyTable();
    for (const id of ['a', 'b']) await store.append([record(id)]);
    const { fn, calls } = recordingFunction((_, call) => (call <= 3 ? new Error('Firehose down') : { batchItemFailures: [] }));
    const checkpointFile = join(dir, 'SinkMapping.json');
    const mapping = start({ tableName: name }, fn, { checkpointFile });
    await pollUntil(mapping, () => calls.length === 3);
    // Nothing is checkpointed while the batch fails: a restart now would hand `a` and `b` over again.
    expect(mapping.checkpoints()!.shards).toEqual({});
    await pollUntil(mapping, () => calls.length === 4);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['a', 'b']]);
    expect(Object.values((JSON.parse(await readFile(checkpointFile, 'utf8')) as { shards: Record<string, string> }).shards)).toEqual([calls[3]!.event.Records[1]!.dynamodb.SequenceNumber]);
    await store.append([record('c')]);
    await pollUntil(mapping, () => calls.length === 5);
    expect(calls[4]!.ids).toEqual(['c']);
  });

  it('resumes after the last record not reported failed (ReportBatchItemFailures)', async () => {
    const { name, store } = await historyTable();
    for (const id of ['a', 'b', 'c']) await store.append([record(id)]);
    const { fn, calls } = recordingFunction((ids, call) => (event: StreamEvent) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: event.Records[ids.indexOf('b')]!.dynamodb.SequenceNumber }] } : { batchItemFailures: [] },
    );
    const mapping = start({ tableName: name }, fn);
    await pollUntil(mapping, () => calls.length === 2);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'c'], ['b', 'c']]);
  });

  it('fails the whole batch on a response naming a record not in it', async () => {
    const { name, store } = await historyTable();
    for (const id of ['a', 'b']) await store.append([record(id)]);
    const { fn, calls } = recordingFunction((_, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] } : { batchItemFailures: [] }));
    const mapping = start({ tableName: name }, fn);
    await pollUntil(mapping, () => calls.length === 2);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b'], ['a', 'b']]);
  });

  it('bisects a failing batch, and sends what still fails after the retries to the on-failure destination', async () => {
    const { name, store } = await historyTable();
    for (const id of ['a', 'b', 'poison', 'd']) await store.append([record(id)]);
    const { fn, calls } = recordingFunction((ids) => (ids.includes('poison') ? new Error('cannot write poison') : { batchItemFailures: [] }));
    const failures: string[] = [];
    const mapping = start({ tableName: name, bisectOnError: true, retryAttempts: 2 }, fn, { onFailure: (d) => void failures.push(d) });
    await pollUntil(mapping, () => calls.some((c) => c.ids.includes('d') && !c.ids.includes('poison')));
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'poison', 'd'], ['a', 'b'], ['poison', 'd'], ['poison'], ['d']]);
    expect(failures).toHaveLength(1);
    const poison = calls[3]!.event.Records[0]!.dynamodb.SequenceNumber;
    expect(JSON.parse(failures[0]!)).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: { startSequenceNumber: poison, endSequenceNumber: poison, batchSize: 1, streamArn: expect.stringContaining(name) },
    });
    // Past the dead-lettered batch: the checkpoint is at `d`.
    expect(Object.values(mapping.checkpoints()!.shards)).toEqual([calls[4]!.event.Records[0]!.dynamodb.SequenceNumber]);
  });

  it('saves the checkpoint after each success, and a new mapping on that file resumes after it', async () => {
    const { name, store } = await historyTable();
    for (const id of ['a', 'b']) await store.append([record(id)]);
    const checkpointFile = join(dir, 'streams', 'SinkMapping.json');
    const first = recordingFunction();
    const one = start({ tableName: name }, first.fn, { checkpointFile });
    await pollUntil(one, () => first.calls.length === 1);
    await one.stop();
    const saved = JSON.parse(await readFile(checkpointFile, 'utf8')) as { shards: Record<string, string> };
    expect(Object.values(saved.shards)).toEqual([first.calls[0]!.event.Records[1]!.dynamodb.SequenceNumber]);

    await store.append([record('c')]);
    const second = recordingFunction();
    const two = start({ tableName: name }, second.fn, { checkpointFile });
    await pollUntil(two, () => second.calls.length === 1);
    expect(second.calls.map((c) => c.ids)).toEqual([['c']]);
  });

  it('hands over again what succeeded after the last saved checkpoint (at least once, nothing lost)', async () => {
    const { name, store } = await historyTable();
    for (const id of ['a', 'b']) await store.append([record(id)]);
    const checkpointFile = join(dir, 'SinkMapping.json');
    const first = recordingFunction();
    const one = start({ tableName: name, batchSize: 1 }, first.fn, { checkpointFile });
    await pollUntil(one, () => first.calls.length === 1);
    const afterA = await readFile(checkpointFile, 'utf8');
    await pollUntil(one, () => first.calls.length === 2);
    await one.stop();
    // As if the runtime died after `b` was handled but before its checkpoint was saved.
    await writeFile(checkpointFile, afterA);
    const second = recordingFunction();
    const two = start({ tableName: name, batchSize: 1 }, second.fn, { checkpointFile });
    await pollUntil(two, () => second.calls.length === 1);
    expect(second.calls.map((c) => c.ids)).toEqual([['b']]);
  });

  it('lists the shards once while one is open: later rounds only read it (GetRecords), until shardDiscoveryMs has passed', async () => {
    const { name, store } = await historyTable();
    await store.append([record('a'), record('b')]);
    // Clients of its own that count what the mapping asks DynamoDB Local and its Streams API.
    const asked: string[] = [];
    const count = <T extends { middlewareStack: { add: (...a: any[]) => void } }>(c: T): T => {
      c.middlewareStack.add((next: any, context: any) => (args: any) => (asked.push(String(context.commandName).replace(/Command$/, '')), next(args)), { step: 'initialize' });
      return c;
    };
    const dynamodb = count(testDynamoDbClient());
    const counted = count(new DynamoDBStreamsClient({ endpoint: inject('dynamodbEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
    const { fn, calls } = recordingFunction();
    const rounds = async (mapping: StreamMapping, n: number) => {
      asked.length = 0;
      for (let i = 0; i < n; i++) await mapping.pollOnce();
      return asked.reduce<Record<string, number>>((by, op) => ({ ...by, [op]: (by[op] ?? 0) + 1 }), {});
    };
    const cached = startStreamMapping({ ...SPEC, tableName: name }, fn, { dynamodb, streams: counted, autoPoll: false, retryDelayMs: 0 });
    running.push(cached);
    await pollUntil(cached, () => calls.length === 1);
    expect(calls[0]!.ids).toEqual(['a', 'b']);
    // Nothing new: three rounds are three reads of the open shard, no listing.
    expect(await rounds(cached, 3)).toEqual({ GetRecords: 3 });
    // A record written now is found by the next read, without a listing.
    await store.append([record('c')]);
    await pollUntil(cached, () => calls.length === 2);
    expect(calls[1]!.ids).toEqual(['c']);
    expect(asked.filter((op) => op === 'DescribeTable' || op === 'DescribeStream')).toEqual([]);
    await cached.stop();

    // With shardDiscoveryMs 0 every round lists them: what each round cost before.
    const listing = startStreamMapping({ ...SPEC, tableName: name }, recordingFunction().fn, { dynamodb, streams: counted, autoPoll: false, retryDelayMs: 0, shardDiscoveryMs: 0 });
    running.push(listing);
    await listing.pollOnce();
    expect(await rounds(listing, 2)).toEqual({ DescribeTable: 2, DescribeStream: 2, GetRecords: 2 });
    dynamodb.destroy();
    counted.destroy();
  });
});
