import type { SinkRecord } from '../core/sink-record.js';

/** What a write left undone: the positions (in the written array) of the records not stored. */
export interface SinkWriteResult {
  /** Ascending; empty when every record is stored. */
  failed: number[];
}

/**
 * The durable sink (PROTOCOL §11): Firehose to S3 on AWS, files in the same layout locally.
 * A record counts as stored once `write` resolves without naming it in `failed`; a failed
 * record is the caller's to send again (the stream's event source mapping does, from the first
 * failed one). Writing a record again may store it twice: consumers drop duplicates by messageId.
 */
export interface SinkWriter {
  write(records: SinkRecord[]): Promise<SinkWriteResult>;
}
