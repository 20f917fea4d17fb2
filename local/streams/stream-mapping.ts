import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type _Record, type DynamoDBStreamsClient, type Shard } from '@aws-sdk/client-dynamodb-streams';
import { invoke } from '../gateway/invoke.js';
import type { GatewayFunction } from '../gateway/types.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../sqs/sqs-engine.js';
import { loadCheckpoints, saveCheckpoints, type Checkpoints } from './checkpoints.js';
import { matchesAny, parseFilterPattern } from './filter-pattern.js';

/**
 * A Lambda event source mapping on a DynamoDB stream, as AWS runs one
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), over DynamoDB Local's REAL
 * Streams API (DescribeTable for the stream ARN, DescribeStream, GetShardIterator, GetRecords):
 *
 *   - every shard of the stream, a parent before its children, one batch at a time per shard,
 *     in order; records that match none of the filter patterns are passed over (and checkpointed);
 *   - each open shard read 4 times a second, as Lambda polls a DynamoDB stream's shards; the
 *     shards listed (DescribeTable, DescribeStream) only when none is known open, when one was
 *     read to its end, or every 10 s: listing them every round cost DynamoDB Local about a
 *     sixth of a core with nothing written;
 *   - a batch is up to `batchSize` records, handed over when full, when `batchingWindowMs` has
 *     passed since its first record, or when the shard has nothing more now;
 *   - a failed invocation (error, timeout) fails the batch; with ReportBatchItemFailures, a
 *     response naming records fails the batch from the lowest one named (the records before it
 *     are done), and an invalid response (a name not in the batch) fails it whole;
 *   - a failed batch is retried, split in two first with bisect on, until it succeeds or has
 *     failed `retryAttempts` + 1 times (-1: until it succeeds); then its description (Lambda's
 *     on-failure record, DDBStreamBatchInfo) goes to the on-failure destination and the mapping
 *     moves past it;
 *   - the checkpoint (last handled sequence number per shard) is saved in the data folder AFTER
 *     the function succeeded (local/streams/checkpoints.ts): a runtime killed between an
 *     invocation and its checkpoint hands those records over again on its next start: at least
 *     once, never lost. DynamoDB Local keeps the stream's records across restarts (its -dbPath
 *     file holds them; the shard ids and the stream ARN stay), so the next start resumes with
 *     AFTER_SEQUENCE_NUMBER from the saved checkpoint.
 *
 * Not emulated: the parallelization factor (one batch per shard at a time), tumbling windows,
 * and the 24-hour retention (DynamoDB Local keeps records as long as its file).
 */
export interface StreamMappingSpec {
  /** The mapping's logical id: names its checkpoint file. */
  id: string;
  functionId: string;
  /** The local table whose stream is read. */
  tableName: string;
  batchSize: number;
  batchingWindowMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** -1: retry until it succeeds. */
  retryAttempts: number;
  bisectOnError: boolean;
  reportBatchItemFailures: boolean;
  /** FilterCriteria patterns (JSON). */
  filterPatterns: string[];
}

export interface StreamMappingOptions {
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  /** Where the checkpoint is kept (absent: in memory only, e.g. an in-memory runtime). */
  checkpointFile?: string;
  /** The on-failure destination: gets each exhausted batch's description (JSON). */
  onFailure?: (description: string) => void | Promise<void>;
  /** Between rounds (default 250 ms: Lambda polls a DynamoDB stream's shards 4 times a second). */
  pollIntervalMs?: number;
  /**
   * How often a round lists the stream's shards anew (DescribeTable, DescribeStream) when nothing
   * asks for it sooner (default 10 s). A round always lists them when none is known open or a
   * shard was read to its end (its children come next), so only a rollover that opens a shard
   * beside open ones waits this long.
   */
  shardDiscoveryMs?: number;
  /** Before a failed batch is tried again (default 200 ms). */
  retryDelayMs?: number;
  /** Poll on a timer (default true); tests drive {@link StreamMapping.pollOnce} themselves with false. */
  autoPoll?: boolean;
  /** An invocation that failed, or a Streams call that did (the round is tried again). */
  onError?: (error: unknown) => void;
  region?: string;
}

export interface StreamMapping {
  /** One round over every shard; resolves with the invocations it made. */
  pollOnce(): Promise<number>;
  /** Resolves once no round is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
  /** What is saved now (tests). */
  checkpoints(): Checkpoints | undefined;
}

/** The event Lambda hands the function: aws-lambda's DynamoDBStreamEvent. */
export interface StreamEvent {
  Records: Array<Record<string, unknown> & { dynamodb: Record<string, unknown> & { SequenceNumber: string } }>;
}

interface Batch {
  records: _Record[];
  /** The last sequence number the batch stands for (filtered records after its last one included). */
  lastSequence: string;
  attempts: number;
  retryAt: number;
}

interface ShardState {
  /** undefined: not fetched yet; null: the shard is closed and read to its end. */
  iterator: string | null | undefined;
  /** Read, not yet in a batch, in order. */
  buffer: _Record[];
  bufferedSince?: number;
  /** The batch being tried (and the rest of a bisected one), front first. */
  pending: Batch[];
}

export function startStreamMapping(spec: StreamMappingSpec, fn: GatewayFunction, options: StreamMappingOptions): StreamMapping {
  const patterns = spec.filterPatterns.map(parseFilterPattern);
  const region = options.region ?? LOCAL_REGION;
  const retryDelayMs = options.retryDelayMs ?? 200;
  let streamArn: string | undefined;
  let saved: Checkpoints | undefined;
  const shards = new Map<string, ShardState>();
  let round: Promise<number> | undefined;
  let stopped = false;

  const lambdaRecord = (record: _Record) => ({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...record.dynamodb,
      ...(record.dynamodb?.ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000) } : {}),
      SequenceNumber: record.dynamodb?.SequenceNumber as string,
    },
    eventSourceARN: streamArn,
  });

  const checkpoint = (shardId: string, sequence: string) => {
    if (!saved) return;
    saved.shards[shardId] = sequence;
    saveCheckpoints(options.checkpointFile, saved);
  };

  /** The batch's outcome: the records still failing (from the first failed one), or none. */
  const run = async (batch: Batch): Promise<_Record[]> => {
    const event: StreamEvent = { Records: batch.records.map(lambdaRecord) as StreamEvent['Records'] };
    const result = await invoke(fn, event, undefined, `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}`);
    if (!result.ok) {
      options.onError?.(result.error);
      return batch.records;
    }
    if (!spec.reportBatchItemFailures) return [];
    const failures = (result.value as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
    if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return [];
    if (!Array.isArray(failures)) return batch.records;
    const positions = batch.records.map((r) => r.dynamodb?.SequenceNumber);
    let first = batch.records.length;
    for (const failure of failures as Array<{ itemIdentifier?: unknown } | null>) {
      const at = positions.indexOf(typeof failure?.itemIdentifier === 'string' ? failure.itemIdentifier : undefined);
      // Lambda treats a name not in the batch (or none) as the whole batch failing.
      if (at === -1) return batch.records;
      first = Math.min(first, at);
    }
    return batch.records.slice(first);
  };

  const onFailureRecord = (shardId: string, batch: Batch) =>
    JSON.stringify({
      requestContext: { requestId: globalThis.crypto.randomUUID(), functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${fn.name}`, condition: 'RetryAttemptsExhausted', approximateInvokeCount: batch.attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: batch.records[0]?.dynamodb?.SequenceNumber,
        endSequenceNumber: batch.records.at(-1)?.dynamodb?.SequenceNumber,
        approximateArrivalOfFirstRecord: batch.records[0]?.dynamodb?.ApproximateCreationDateTime?.toISOString(),
        approximateArrivalOfLastRecord: batch.records.at(-1)?.dynamodb?.ApproximateCreationDateTime?.toISOString(),
        batchSize: batch.records.length,
        streamArn,
      },
    });

  /** Tries the front pending batch once, if its time has come; true if it invoked. */
  const tryPending = async (shardId: string, state: ShardState): Promise<boolean> => {
    const batch = state.pending[0];
    if (!batch || Date.now() < batch.retryAt) return false;
    const failing = await run(batch);
    if (failing.length === 0) {
      state.pending.shift();
      checkpoint(shardId, batch.lastSequence);
      return true;
    }
    const done = batch.records.slice(0, batch.records.length - failing.length);
    const lastDone = done.at(-1)?.dynamodb?.SequenceNumber;
    if (lastDone !== undefined) checkpoint(shardId, lastDone);
    const attempts = batch.attempts + 1;
    const failed: Batch = { records: failing, lastSequence: batch.lastSequence, attempts, retryAt: Date.now() + retryDelayMs };
    if (spec.retryAttempts >= 0 && attempts > spec.retryAttempts) {
      await options.onFailure?.(onFailureRecord(shardId, failed));
      state.pending.shift();
      checkpoint(shardId, batch.lastSequence);
      return true;
    }
    if (spec.bisectOnError && failing.length > 1) {
      const half = Math.ceil(failing.length / 2);
      const head = failing.slice(0, half);
      const front: Batch = { records: head, lastSequence: head.at(-1)?.dynamodb?.SequenceNumber as string, attempts, retryAt: failed.retryAt };
      const back: Batch = { records: failing.slice(half), lastSequence: batch.lastSequence, attempts, retryAt: failed.retryAt };
      state.pending.splice(0, 1, front, back);
    } else {
      state.pending.splice(0, 1, failed);
    }
    return true;
  };

  const read = async (shard: Shard, state: ShardState): Promise<void> => {
    const shardId = shard.ShardId as string;
    if (state.iterator === undefined) {
      const after = saved?.shards[shardId];
      const position = after !== undefined ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: after } : { ShardIteratorType: spec.startingPosition };
      const answer = await options.streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...position }));
      state.iterator = answer.ShardIterator ?? null;
    }
    while (state.iterator && state.buffer.length < spec.batchSize) {
      let answer;
      try {
        answer = await options.streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: Math.min(1000, spec.batchSize) }));
      } catch (error) {
        // An iterator lives 15 minutes: read again from the checkpoint. DynamoDB Local also answers
        // TrimmedDataAccessException for an iterator taken on a shard that was empty then and read
        // once records came (its iterator points before the shard's first record): nothing was
        // read from it, so reading again from the checkpoint (or the horizon) loses nothing.
        if ((error as Error).name === 'ExpiredIteratorException' || (error as Error).name === 'TrimmedDataAccessException') {
          state.iterator = undefined;
          state.buffer = [];
          return;
        }
        throw error;
      }
      state.iterator = answer.NextShardIterator ?? null;
      const records = answer.Records ?? [];
      if (records.length > 0 && state.buffer.length === 0) state.bufferedSince = Date.now();
      state.buffer.push(...records);
      if (records.length === 0) break;
    }
  };

  /** Moves the buffer's front into a pending batch when one is due; passes over filtered records. */
  const form = (shardId: string, state: ShardState): void => {
    let taken = 0;
    let span = 0;
    for (const record of state.buffer) {
      if (taken === spec.batchSize) break;
      span += 1;
      if (matchesAny(patterns, lambdaRecord(record))) taken += 1;
    }
    if (taken === 0) {
      // Only filtered records: Lambda consumes them without an invocation.
      const last = state.buffer.at(-1)?.dynamodb?.SequenceNumber;
      state.buffer = [];
      if (last !== undefined) checkpoint(shardId, last);
      return;
    }
    const due = taken === spec.batchSize || state.iterator === null || Date.now() - (state.bufferedSince ?? 0) >= spec.batchingWindowMs;
    if (!due) return;
    const spanned = state.buffer.splice(0, span);
    state.bufferedSince = state.buffer.length > 0 ? Date.now() : undefined;
    state.pending.push({
      records: spanned.filter((record) => matchesAny(patterns, lambdaRecord(record))),
      lastSequence: spanned.at(-1)?.dynamodb?.SequenceNumber as string,
      attempts: 0,
      retryAt: 0,
    });
  };

  // The last listing of the stream's shards, and whether the next round must list them anew.
  let listing: { shards: Shard[]; at: number } | undefined;
  let relist = true;
  const shardDiscoveryMs = options.shardDiscoveryMs ?? 10_000;

  const listShards = async (arn: string): Promise<Shard[]> => {
    const found: Shard[] = [];
    let start: string | undefined;
    do {
      const answer = await options.streams.send(new DescribeStreamCommand({ StreamArn: arn, ...(start ? { ExclusiveStartShardId: start } : {}) }));
      found.push(...(answer.StreamDescription?.Shards ?? []));
      start = answer.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return found;
  };

  /** The stream's shards: listed anew when due (see shardDiscoveryMs), else the last listing. Undefined: no stream. */
  const currentShards = async (): Promise<Shard[] | undefined> => {
    if (!relist && listing && streamArn && Date.now() - listing.at < shardDiscoveryMs) return listing.shards;
    const table = await options.dynamodb.send(new DescribeTableCommand({ TableName: spec.tableName }));
    const arn = table.Table?.LatestStreamArn;
    if (!arn || table.Table?.StreamSpecification?.StreamEnabled === false) {
      listing = undefined;
      return undefined;
    }
    if (arn !== streamArn) {
      streamArn = arn;
      saved = loadCheckpoints(options.checkpointFile, arn);
      shards.clear();
    }
    listing = { shards: await listShards(arn), at: Date.now() };
    return listing.shards;
  };

  const oneRound = async (): Promise<number> => {
    const listed = await currentShards();
    if (!listed) return 0;
    const checkpoints = saved as Checkpoints;
    const ids = new Set(listed.map((s) => s.ShardId));
    // Listed anew next round unless this one finds a shard still open to read.
    relist = true;
    let invocations = 0;
    let finishedOne = false;
    let openOne = false;
    for (const shard of listed) {
      const shardId = shard.ShardId as string;
      if (stopped || checkpoints.finished.includes(shardId)) continue;
      // A child waits until its parent is read to its end (records of one key stay in order).
      if (shard.ParentShardId && ids.has(shard.ParentShardId) && !checkpoints.finished.includes(shard.ParentShardId)) continue;
      const state = shards.get(shardId) ?? { iterator: undefined, buffer: [], pending: [] };
      shards.set(shardId, state);
      if (state.pending.length === 0) {
        await read(shard, state);
        form(shardId, state);
      }
      if (await tryPending(shardId, state)) invocations += 1;
      if (state.iterator === null && state.buffer.length === 0 && state.pending.length === 0) {
        checkpoints.finished.push(shardId);
        saveCheckpoints(options.checkpointFile, checkpoints);
        // Read to its end: its children (the shards after a rollover) are in the next listing.
        finishedOne = true;
      } else if (state.iterator !== null) openOne = true;
    }
    relist = finishedOne || !openOne;
    return invocations;
  };

  const pollOnce = (): Promise<number> => {
    const next = (round ?? Promise.resolve(0)).catch(() => 0).then(() => (stopped ? 0 : oneRound()));
    round = next;
    return next;
  };

  // The timer starts a round only when none it started is running (pollOnce queues behind any).
  let polling = false;
  const timer =
    options.autoPoll === false
      ? undefined
      : setInterval(() => {
          if (polling) return;
          polling = true;
          pollOnce()
            .catch((error: unknown) => options.onError?.(error))
            .finally(() => (polling = false));
        }, options.pollIntervalMs ?? 250);
  timer?.unref();

  const idle = async () => {
    await round?.catch(() => 0);
  };
  return {
    pollOnce,
    idle,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await idle();
    },
    checkpoints: () => (saved ? structuredClone(saved) : undefined),
  };
}
