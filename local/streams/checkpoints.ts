import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where a stream mapping is in each shard: the sequence number of the last record the function
 * succeeded with (or that was filtered out, or handed to the on-failure destination), per shard of
 * one stream ARN. Saved after every success, to a file replaced atomically (written, fsync'd,
 * renamed), so a runtime killed at any moment resumes after the last saved record: records the
 * function handled after that are handed to it again (at least once, as Lambda).
 */
export interface Checkpoints {
  streamArn: string;
  /** Shard id -> last handled sequence number. */
  shards: Record<string, string>;
  /** Shards read to their end (closed shards whose children may be read). */
  finished: string[];
}

export function loadCheckpoints(file: string | undefined, streamArn: string): Checkpoints {
  const empty: Checkpoints = { streamArn, shards: {}, finished: [] };
  if (file === undefined) return empty;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Checkpoints>;
    // Another stream (the table was created again): its positions mean nothing here.
    if (saved.streamArn !== streamArn) return empty;
    return { streamArn, shards: { ...(saved.shards ?? {}) }, finished: [...(saved.finished ?? [])] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty;
    throw new Error(`qosgate: cannot read the stream checkpoint ${file}: ${String(error)}`);
  }
}

export function saveCheckpoints(file: string | undefined, checkpoints: Checkpoints): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, `${JSON.stringify(checkpoints)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}
