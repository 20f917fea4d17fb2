import type { HistoryRecord } from './types.js';

/**
 * One record of the durable sink (PROTOCOL §11), one JSON line in S3 or in the local files: a
 * history record without its TTL, its fields in the order {@link sinkRecordOf} writes them.
 * `messageId` is the same for every resend of one client message, so a consumer drops the
 * duplicates that at-least-once delivery allows by it.
 */
export type SinkRecord = Omit<HistoryRecord, 'expiresAt'>;

/** The §11 record of a history record: everything but the history's own TTL. */
export function sinkRecordOf(record: HistoryRecord): SinkRecord {
  return {
    controller: record.controller,
    topic: record.topic,
    data: record.data,
    qos: record.qos,
    clientId: record.clientId,
    receivedAt: record.receivedAt,
    messageId: record.messageId,
  };
}

/**
 * A partition value as jq's `@uri` writes it (what the Firehose stream's metadata extraction
 * applies, lib/constructs/ingestion-sink.ts): every byte but `A-Za-z0-9-_.~` percent-encoded
 * (UTF-8, upper-case hex). So a topic `room/1` is one folder `topic=room%2F1`, not two, and an
 * Athena partition value never holds a `/`.
 */
export function partitionValue(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `yyyy-MM-ddTHH` in UTC of an epoch ms (Firehose's `strftime("%Y-%m-%dT%H")` of receivedAt / 1000). */
export function hourOf(epochMs: number): string {
  const hours = Math.floor(epochMs / 3_600_000);
  const days = Math.floor(hours / 24);
  // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970-01-01.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hours - days * 24)}`;
}

/**
 * The folder of a record in the sink (S3 prefix or local path), PROTOCOL §11:
 * `controller=<c>/topic=<t>/hour=<yyyy-MM-ddTHH>`.
 */
export function sinkPartition(record: Pick<SinkRecord, 'controller' | 'topic' | 'receivedAt'>): string {
  return `controller=${partitionValue(record.controller)}/topic=${partitionValue(record.topic)}/hour=${hourOf(record.receivedAt)}`;
}

/** A record as one line of the sink (newline-terminated JSON: what Athena's JSON SerDe reads). */
export function sinkLine(record: SinkRecord): string {
  return `${JSON.stringify(record)}\n`;
}
