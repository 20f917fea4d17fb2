import { describe, expect, it } from 'vitest';
import { hourOf, partitionValue, sinkLine, sinkPartition, sinkRecordOf } from '../../lambdas/core/sink-record.js';

describe('sink record (PROTOCOL §11)', () => {
  it('writes the hour in UTC as Firehose strftime("%Y-%m-%dT%H") does, for any date', () => {
    const samples = [0, 1, 3_599_999, 3_600_000, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 23), Date.UTC(2100, 2, 1, 0), Date.UTC(1969, 11, 31, 23, 30)];
    for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2029, 0, 1); ms += 7 * 3_600_000 + 12_345) samples.push(ms);
    for (const ms of samples) expect(hourOf(ms)).toBe(new Date(ms).toISOString().slice(0, 13));
  });

  it('percent-encodes partition values as jq @uri does: only A-Za-z0-9-_.~ stay', () => {
    expect(partitionValue('room/1')).toBe('room%2F1');
    expect(partitionValue("a b!'()*=~._-Z9")).toBe('a%20b%21%27%28%29%2A%3D~._-Z9');
    expect(partitionValue('ünï')).toBe('%C3%BCn%C3%AF');
  });

  it('puts a record in controller=/topic=/hour= and writes it as one JSON line of exactly the §11 fields', () => {
    const record = sinkRecordOf({ controller: 'c', topic: 't/u', data: { v: 1 }, qos: 0, clientId: 'x', receivedAt: Date.UTC(2026, 0, 2, 3), messageId: 'm', expiresAt: 9 });
    expect(sinkPartition(record)).toBe('controller=c/topic=t%2Fu/hour=2026-01-02T03');
    expect(sinkLine(record)).toBe(`{"controller":"c","topic":"t/u","data":{"v":1},"qos":0,"clientId":"x","receivedAt":${Date.UTC(2026, 0, 2, 3)},"messageId":"m"}\n`);
  });
});
