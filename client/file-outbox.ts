/**
 * A file-backed outbox for Node (never imported by the browser entry): unanswered publishes
 * survive a restart of the device's process and are resent, with their ids, when it comes
 * back. Node only.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxEntry, OutboxStore } from './outbox.js';

interface OutboxFile {
  version: 1;
  entries: OutboxEntry[];
}

/**
 * Keeps every entry in one JSON file. Each change rewrites the file atomically (write a
 * temporary file, then rename over the old one: a crash leaves the old file or the new one,
 * never half of one). Changes are queued, so two changes never race on the file.
 */
export class FileOutbox implements OutboxStore {
  private entries: Map<string, OutboxEntry> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private writes = 0;

  constructor(readonly path: string) {}

  put(entry: OutboxEntry): Promise<void> {
    return this.change((entries) => entries.set(entry.id, structuredClone(entry)));
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const entry = (await this.load()).get(id);
    return entry && structuredClone(entry);
  }

  delete(id: string): Promise<void> {
    return this.change((entries) => entries.delete(id));
  }

  async list(): Promise<OutboxEntry[]> {
    return [...(await this.load()).values()].map((e) => structuredClone(e));
  }

  private change(apply: (entries: Map<string, OutboxEntry>) => unknown): Promise<void> {
    const run = this.queue.then(async () => {
      const entries = await this.load();
      apply(entries);
      await this.save(entries);
    });
    // A failed write fails its caller, not every later change.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<Map<string, OutboxEntry>> {
    if (this.entries) return this.entries;
    let file: OutboxFile = { version: 1, entries: [] };
    try {
      file = JSON.parse(await readFile(this.path, 'utf8')) as OutboxFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.entries ??= new Map(file.entries.map((e) => [e.id, e]));
    return this.entries;
  }

  private async save(entries: Map<string, OutboxEntry>): Promise<void> {
    const file: OutboxFile = { version: 1, entries: [...entries.values()] };
    const temporary = `${this.path}.${process.pid}.${++this.writes}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(temporary, JSON.stringify(file));
    await rename(temporary, this.path);
  }
}
