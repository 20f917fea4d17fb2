import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sinkLine, sinkPartition, type SinkRecord } from '../../core/sink-record.js';
import type { SinkWriter, SinkWriteResult } from '../../ports/sink-writer.js';

/** The file each partition folder's records are appended to. */
export const SINK_FILE = 'records.jsonl';

/**
 * The sink as files (the local runtime's stand-in for Firehose and S3): each record is one JSON
 * line appended to `<root>/controller=<c>/topic=<t>/hour=<yyyy-MM-ddTHH>/records.jsonl`, the
 * layout Firehose gives S3 (PROTOCOL §11). A partition's lines are written with one append and
 * fsync'd before `write` resolves, so a record reported stored survives a crash of the machine,
 * not only of the process.
 */
export class FileSinkWriter implements SinkWriter {
  constructor(readonly root: string) {}

  async write(records: SinkRecord[]): Promise<SinkWriteResult> {
    const byPartition = new Map<string, number[]>();
    records.forEach((record, index) => {
      const partition = sinkPartition(record);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), index]);
    });
    const failed: number[] = [];
    // One partition at a time: its lines go in one append, in the order given.
    for (const [partition, indexes] of byPartition) {
      try {
        await appendSynced(join(this.root, partition), indexes.map((i) => sinkLine(records[i] as SinkRecord)).join(''));
      } catch {
        failed.push(...indexes);
      }
    }
    return { failed: failed.sort((a, b) => a - b) };
  }
}

async function appendSynced(folder: string, text: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const file = await open(join(folder, SINK_FILE), 'a');
  try {
    await file.write(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Every sink file under `root` (relative paths, sorted); none if it does not exist. */
export async function sinkFiles(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name === SINK_FILE)
      .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(root.length + 1))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every record under `root`, with the partition folder it is in (what the tests and the dashboard read). */
export async function readSinkRecords(root: string): Promise<Array<{ partition: string; record: SinkRecord }>> {
  const found: Array<{ partition: string; record: SinkRecord }> = [];
  for (const file of await sinkFiles(root)) {
    const partition = file.slice(0, -(SINK_FILE.length + 1));
    for (const line of (await readFile(join(root, file), 'utf8')).split('\n')) {
      if (line !== '') found.push({ partition, record: JSON.parse(line) as SinkRecord });
    }
  }
  return found;
}
