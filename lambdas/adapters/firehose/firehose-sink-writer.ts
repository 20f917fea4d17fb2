import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { sinkLine, type SinkRecord } from '../../core/sink-record.js';
import type { SinkWriter, SinkWriteResult } from '../../ports/sink-writer.js';

/** PutRecordBatch's limits (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html). */
export const FIREHOSE_LIMITS = { recordsPerCall: 500, bytesPerCall: 4 * 1024 * 1024, bytesPerRecord: 1000 * 1024 };

export interface FirehoseSinkWriterOptions {
  /** Calls per record before it is reported failed (default 3): a failed record alone is sent again. */
  attempts?: number;
  /** Waits between attempts (default: 100 ms, doubled each time). */
  pause?: (attempt: number) => Promise<void>;
}

/**
 * The sink as a Firehose delivery stream (PROTOCOL §11; the stream partitions into S3 by
 * controller, topic and hour, lib/constructs/ingestion-sink.ts). Each record is one
 * newline-terminated JSON line. Records go in PutRecordBatch calls of at most 500 records and
 * 4 MiB; Firehose may refuse some records of a call (FailedPutCount, a per-record ErrorCode, e.g.
 * ServiceUnavailableException), and only those are sent again, up to `attempts` times. What is
 * still refused is returned as failed, for the stream's event source mapping to retry.
 */
export class FirehoseSinkWriter implements SinkWriter {
  private readonly attempts: number;
  private readonly pause: (attempt: number) => Promise<void>;

  constructor(
    private readonly client: FirehoseClient,
    readonly deliveryStreamName: string,
    options: FirehoseSinkWriterOptions = {},
  ) {
    this.attempts = options.attempts ?? 3;
    this.pause = options.pause ?? ((attempt) => new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1))));
  }

  async write(records: SinkRecord[]): Promise<SinkWriteResult> {
    const data = records.map((record) => Buffer.from(sinkLine(record)));
    // A record over Firehose's own limit can never be put: failed at once, not sent.
    const oversized = data.flatMap((bytes, index) => (bytes.length > FIREHOSE_LIMITS.bytesPerRecord ? [index] : []));
    let pending = data.flatMap((bytes, index) => (bytes.length > FIREHOSE_LIMITS.bytesPerRecord ? [] : [index]));
    for (let attempt = 1; pending.length > 0 && attempt <= this.attempts; attempt += 1) {
      if (attempt > 1) await this.pause(attempt - 1);
      const refused: number[] = [];
      for (const batch of batches(pending, data)) refused.push(...(await this.put(batch, data)));
      pending = refused;
    }
    return { failed: [...oversized, ...pending].sort((a, b) => a - b) };
  }

  /** One PutRecordBatch; the positions Firehose refused (all of them if the call itself failed). */
  private async put(batch: number[], data: Buffer[]): Promise<number[]> {
    try {
      const answer = await this.client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: this.deliveryStreamName, Records: batch.map((index) => ({ Data: data[index] as Buffer })) }),
      );
      if (!answer.FailedPutCount) return [];
      // RequestResponses is in the order of Records; a refused one has an ErrorCode.
      return batch.filter((_, i) => answer.RequestResponses?.[i]?.ErrorCode !== undefined || answer.RequestResponses?.[i] === undefined);
    } catch {
      // Throttled past the SDK's own retries, or unreachable: the whole call is tried again.
      return batch;
    }
  }
}

/** The positions in calls of at most 500 records and 4 MiB, in order. */
function batches(positions: number[], data: Buffer[]): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of positions) {
    const size = (data[index] as Buffer).length;
    if (current.length === FIREHOSE_LIMITS.recordsPerCall || (current.length > 0 && bytes + size > FIREHOSE_LIMITS.bytesPerCall)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
