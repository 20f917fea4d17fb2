import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, inject } from 'vitest';
import { INGESTION_SECTION, ingestionBench, ingestionTable, iotCorePerMillionReadings, readingData, READING_BYTES, writeIngestionResults } from '../../bench/ingestion.js';

/**
 * The ingestion bench with small sizes on the tests' DynamoDB Local: its cases send the frames
 * and make the deliveries they claim (the figures are only as good as that). A benchmark is not
 * a test: no measured figure is held to a number here, only what the design fixes.
 */
describe('bench/ingestion.ts (small sizes)', () => {
  it('sends readings/batch frames per case, delivers every reading to the subscriber, and meters one frame in and one msgack out per frame', async () => {
    const result = await ingestionBench(inject('dynamodbEndpoint'), { readings: 100 });
    expect(result.cases.map((c) => [c.batchSize, c.subscribers, c.recorded, c.frames, c.delivered])).toEqual([
      [1, 0, true, 100, 0],
      [10, 0, true, 10, 0],
      [100, 0, true, 1, 0],
      [1, 1, true, 100, 100],
      [10, 1, true, 10, 100],
      [100, 1, true, 1, 100],
      [1, 0, false, 100, 0],
      [10, 0, false, 10, 0],
      [100, 0, false, 1, 0],
    ]);
    // Recorded, a reading costs its history write (1 write unit at 100 B) and a sink record; off, neither.
    for (const batchSize of [1, 10, 100]) {
      const on = result.cases.find((c) => c.batchSize === batchSize && c.subscribers === 0 && c.recorded);
      const off = result.cases.find((c) => c.batchSize === batchSize && !c.recorded);
      expect([on?.perMillion.writeUnits, on?.perMillion.sinkRecords, off?.perMillion.writeUnits, off?.perMillion.sinkRecords, off?.costPerMillion.sink]).toEqual([1e6, 1e6, 0, 0, 0]);
    }
    for (const c of result.cases.filter((x) => x.subscribers === 0)) {
      // One publish frame in, one msgack out, one invocation per frame: per million readings, 1e6 / batch.
      expect([c.perMillion.apiGatewayIn, c.perMillion.apiGatewayOut, c.perMillion.lambdaInvocations]).toEqual([1e6 / c.batchSize, 1e6 / c.batchSize, 1e6 / c.batchSize]);
    }
    for (const c of result.cases.filter((x) => x.subscribers === 1)) {
      // Plus a delivery out per reading, the subscriber's msgack in and its invocation per frame.
      expect([c.perMillion.apiGatewayIn, c.perMillion.apiGatewayOut, c.perMillion.lambdaInvocations]).toEqual([2e6 / c.batchSize, 1e6 / c.batchSize + 1e6, 2e6 / c.batchSize]);
    }
    for (const c of result.cases) expect(Number.isFinite(c.costPerMillion.total) && Number.isFinite(c.perMillion.lambdaGbSeconds)).toBe(true);
    expect(ingestionTable(result)).toHaveLength(9);
  }, 240_000);

  it('a reading’s data is 100 bytes serialized', () => {
    for (const seq of [0, 7, 999, 123_456]) expect(Buffer.byteLength(JSON.stringify(readingData(seq)))).toBe(READING_BYTES);
  });

  it('prices IoT Core per publish in 5 KB units, a rule and a Firehose record per publish; Basic Ingest only without subscribers', () => {
    // Batch 1: 1M publishes of 1 unit ($1.00), 1M rules ($0.30), 1M Firehose records of 5 KB (4.77 GiB x $0.029).
    const firehose = ((1e6 * 5 * 1024) / 2 ** 30) * 0.029;
    expect(iotCorePerMillionReadings(1, 0).standard).toBeCloseTo(1 + 0.3 + firehose, 4);
    expect(iotCorePerMillionReadings(1, 0).basicIngest).toBeCloseTo(0.3 + firehose, 4);
    // Batch 100: 10,000 publishes of 10,101 B = 2 units each; 1 subscriber: its delivery (2 units) and PUBACK (1).
    expect(iotCorePerMillionReadings(100, 1)).toEqual({ standard: expect.closeTo((10_000 * 2 + 10_000 * 3) / 1e6 + 0.003 + (10_000 * 2 * 5 * 1024 * 0.029) / 2 ** 30, 4), basicIngest: null });
  });

  it('writes its section into an existing README and results.json, replacing an earlier one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qosgate-ingestion-'));
    try {
      writeFileSync(join(dir, 'README.md'), '# bench\n\n## Results\n\n### Wildcard filters\n\nold\n\n## Notes\n\n- n\n');
      writeFileSync(join(dir, 'results.json'), '{"mode":"full"}');
      const result = { readingBytes: 100, sinkRecordBytes: 247, cases: [], prices: {} as never, notes: ['first'] };
      writeIngestionResults(dir, result, `${INGESTION_SECTION}: one`);
      writeIngestionResults(dir, { ...result, notes: ['second'] }, `${INGESTION_SECTION}: two`);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      expect(readme.match(new RegExp(`### ${INGESTION_SECTION}`, 'g'))).toHaveLength(1);
      expect(readme).toContain('- second');
      expect(readme).not.toContain('- first');
      expect(readme.indexOf('### Wildcard filters')).toBeLessThan(readme.indexOf(`### ${INGESTION_SECTION}`));
      expect(readme.indexOf(`### ${INGESTION_SECTION}`)).toBeLessThan(readme.indexOf('## Notes'));
      expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toMatchObject({ mode: 'full', ingestion: { notes: ['second'] } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
