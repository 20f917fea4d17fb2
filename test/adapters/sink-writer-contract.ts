import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSinkRecords } from '../../lambdas/adapters/file/file-sink-writer.js';
import type { SinkRecord } from '../../lambdas/core/sink-record.js';
import type { SinkWriter } from '../../lambdas/ports/sink-writer.js';

/**
 * The SinkWriter contract (ports/sink-writer.ts), run on the file adapter and on the Firehose
 * adapter talking to the local Firehose stand-in through the real SDK client: what `write`
 * reports stored is in the sink, whole, in its partition folder
 * `controller=<c>/topic=<t>/hour=<yyyy-MM-ddTHH>` (PROTOCOL §11); what the sink refuses is
 * reported failed by position, and nothing else is.
 */
export interface SinkWriterFixture {
  writer: SinkWriter;
  /** The folder the stored records end up under (files in the partition layout). */
  root: string;
  /** From now on the sink refuses every record whose messageId this names. */
  refuse(messageIds: string[]): void;
  close(): Promise<void>;
}

/** 2026-12-01T16:05:00.123Z */
const AT = Date.UTC(2026, 11, 1, 16, 5, 0, 123);

export const sinkRecord = (overrides: Partial<SinkRecord> = {}): SinkRecord => ({
  controller: 'sensors',
  topic: 'room/1',
  data: { celsius: 21.5, text: 'ünïcødé ✓ 😀', list: [1, null, '', {}] },
  qos: 1,
  clientId: 'probe-1',
  receivedAt: AT,
  messageId: 's-1:m-1',
  ...overrides,
});

export function describeSinkWriterContract(label: string, makeFixture: () => Promise<SinkWriterFixture>): void {
  describe(`${label}: sink writer contract`, () => {
    let fixture: SinkWriterFixture;
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('stores every record whole, as one JSON line in its controller/topic/hour folder', async () => {
      const records = [
        sinkRecord(),
        sinkRecord({ messageId: 's-1:m-2', qos: 0, data: 7 }),
        sinkRecord({ topic: 'room/2', messageId: 's-1:m-3', qos: 2 }),
        sinkRecord({ messageId: 's-1:m-4', receivedAt: AT + 3_600_000 }),
      ];
      expect(await fixture.writer.write(records)).toEqual({ failed: [] });
      const stored = await readSinkRecords(fixture.root);
      expect(stored.map((s) => s.record).sort((a, b) => a.messageId.localeCompare(b.messageId))).toEqual(records);
      const folderOf = (id: string) => stored.find((s) => s.record.messageId === id)?.partition;
      expect(folderOf('s-1:m-1')).toBe('controller=sensors/topic=room%2F1/hour=2026-12-01T16');
      expect(folderOf('s-1:m-3')).toBe('controller=sensors/topic=room%2F2/hour=2026-12-01T16');
      expect(folderOf('s-1:m-4')).toBe('controller=sensors/topic=room%2F1/hour=2026-12-01T17');
    });

    it('keeps the order of a partition, and appends a later write after an earlier one', async () => {
      await fixture.writer.write([sinkRecord({ messageId: 'a' }), sinkRecord({ messageId: 'b' })]);
      await fixture.writer.write([sinkRecord({ messageId: 'c' })]);
      expect((await readSinkRecords(fixture.root)).map((s) => s.record.messageId)).toEqual(['a', 'b', 'c']);
    });

    it('reports the records the sink refused by position, and stores the rest', async () => {
      fixture.refuse(['bad-1', 'bad-2']);
      const { failed } = await fixture.writer.write([sinkRecord({ messageId: 'ok-1' }), sinkRecord({ messageId: 'bad-1' }), sinkRecord({ messageId: 'ok-2' }), sinkRecord({ messageId: 'bad-2', topic: 'other' })]);
      expect(failed).toEqual([1, 3]);
      expect((await readSinkRecords(fixture.root)).map((s) => s.record.messageId).sort()).toEqual(['ok-1', 'ok-2']);
    });

    it('writes nothing for no records', async () => {
      expect(await fixture.writer.write([])).toEqual({ failed: [] });
      expect(await readSinkRecords(fixture.root)).toEqual([]);
    });
  });
}
