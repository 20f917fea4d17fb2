import type { SinkRecord } from '../core/sink-record.js';
import { errorText, type Logger } from '../ports/logger.js';
import type { SinkWriter } from '../ports/sink-writer.js';

/** The fields of a DynamoDB Streams record (aws-lambda's DynamoDBRecord) the sink reads. */
export interface StreamRecord {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  dynamodb?: {
    SequenceNumber?: string;
    /** AttributeValue JSON, as the stream carries it (`{ S: '...' }`, `{ N: '1' }`). */
    NewImage?: Record<string, unknown>;
  };
}

/** aws-lambda's DynamoDBStreamEvent. */
export interface StreamEvent {
  Records: StreamRecord[];
}

/** Partial batch response: the event source mapping has ReportBatchItemFailures on. */
export interface StreamBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface SinkDeps {
  writer: SinkWriter;
  /** The §11 record of a stream record's new image, or undefined if it is not a history item (adapters/dynamodb/history-stream.ts). */
  recordOf: (image: Record<string, unknown> | undefined) => SinkRecord | undefined;
  log: Logger;
}

/**
 * The sink function (PROTOCOL §11), invoked by the event source mapping on the history table's
 * stream: each INSERT whose new image is a history item becomes its §11 record, and the batch
 * goes to the sink in stream order.
 *
 * Why batchItemFailures rather than a throw: on a stream, Lambda takes the lowest reported
 * sequence number as the place to resume, so naming the first record the writer could not store
 * checkpoints everything before it and sends only the rest again (a throw would send the whole
 * batch again, each retry duplicating what was already stored). Records that are not history
 * items (a MODIFY, a REMOVE by TTL, an image of another shape) are skipped and logged: they can
 * never be written, and holding the shard on them would stop every record behind them.
 */
export function createSinkHandler(deps: SinkDeps): (event: StreamEvent) => Promise<StreamBatchResponse> {
  return async (event) => {
    const taken: Array<{ sequenceNumber: string; record: SinkRecord }> = [];
    let skipped = 0;
    for (const streamRecord of event.Records ?? []) {
      const record = streamRecord.eventName === 'INSERT' ? deps.recordOf(streamRecord.dynamodb?.NewImage) : undefined;
      const sequenceNumber = streamRecord.dynamodb?.SequenceNumber;
      if (record === undefined || sequenceNumber === undefined) {
        skipped += 1;
        continue;
      }
      taken.push({ sequenceNumber, record });
    }
    if (skipped > 0) deps.log.warn('Sink skipped stream records that are not history inserts', { skipped });
    if (taken.length === 0) return { batchItemFailures: [] };
    let failed: number[];
    try {
      ({ failed } = await deps.writer.write(taken.map((t) => t.record)));
    } catch (error) {
      deps.log.error('Sink write failed', { records: taken.length, error: errorText(error) });
      failed = [0];
    }
    const first = failed.length === 0 ? undefined : taken[Math.min(...failed)];
    deps.log.info('Sink', { records: taken.length, failed: failed.length });
    // Lambda resumes at the lowest sequence number reported: naming the first failure is enough.
    return { batchItemFailures: first ? [{ itemIdentifier: first.sequenceNumber }] : [] };
  };
}
