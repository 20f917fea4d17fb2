/**
 * A file-backed outbox for Node (never imported by the browser entry): unanswered publishes
 * survive a restart of the device's process and are resent, with their ids, when it comes
 * back; inbound QoS 2 ids survive it too, so a message handled before the restart is not
 * handled again. Node only.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { IncomingEntry, OutboxEntry, OutboxStore } from './outbox.js';

/** The file: `incoming` was added later, so a file without it (an older client's) reads as none. */
interface OutboxFile {
  version: 1;
  entries: OutboxEntry[];
  incoming?: IncomingEntry[];
}

interface Contents {
  entries: Map<string, OutboxEntry>;
  incoming: Map<string, IncomingEntry>;
}

/**
 * Keeps every entry in one JSON file. Each change rewrites the file atomically (write a
 * temporary file, then rename over the old one: a crash leaves the old file or the new one,
 * never half of one). Changes are queued, so two changes never race on the file.
 */
export class FileOutbox implements OutboxStore {
  private contents: Contents | undefined;
  private loading: Promise<Contents> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private writes = 0;

  constructor(readonly path: string) {}

  put(entry: OutboxEntry): Promise<void> {
    return this.change(({ entries }) => entries.set(entry.id, structuredClone(entry)));
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const entry = (await this.settled()).entries.get(id);
    return entry && structuredClone(entry);
  }

  delete(id: string): Promise<void> {
    return this.change(({ entries }) => entries.delete(id));
  }

  async list(): Promise<OutboxEntry[]> {
    return [...(await this.settled()).entries.values()].map((e) => structuredClone(e));
  }

  putIncoming(entry: IncomingEntry): Promise<void> {
    return this.change(({ incoming }) => incoming.set(entry.id, { id: entry.id, until: entry.until }));
  }

  async getIncoming(id: string): Promise<IncomingEntry | undefined> {
    const entry = (await this.settled()).incoming.get(id);
    return entry && { ...entry };
  }

  deleteIncoming(id: string): Promise<void> {
    return this.change(({ incoming }) => incoming.delete(id));
  }

  async listIncoming(): Promise<IncomingEntry[]> {
    return [...(await this.settled()).incoming.values()].map((e) => ({ ...e }));
  }

  private change(apply: (contents: Contents) => unknown): Promise<void> {
    const run = this.queue.then(async () => {
      const contents = await this.load();
      apply(contents);
      await this.save(contents);
    });
    // A failed write fails its caller, not every later change.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** What reads see: the contents after every change asked for so far (read your writes). */
  private async settled(): Promise<Contents> {
    await this.queue;
    return this.load();
  }

  private load(): Promise<Contents> {
    if (this.contents) return Promise.resolve(this.contents);
    // One read however many callers ask at once, so none of them works on a copy of its own.
    this.loading ??= this.read().then(
      (contents) => (this.contents = contents),
      (error: unknown) => {
        this.loading = undefined; // a failed read (a permission fixed meanwhile) may be tried again
        throw error;
      },
    );
    return this.loading;
  }

  private async read(): Promise<Contents> {
    let file: OutboxFile = { version: 1, entries: [] };
    try {
      file = JSON.parse(await readFile(this.path, 'utf8')) as OutboxFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return {
      entries: new Map(file.entries.map((e) => [e.id, e])),
      incoming: new Map((file.incoming ?? []).map((e) => [e.id, e])),
    };
  }

  private async save({ entries, incoming }: Contents): Promise<void> {
    const file: OutboxFile = { version: 1, entries: [...entries.values()], incoming: [...incoming.values()] };
    const temporary = `${this.path}.${process.pid}.${++this.writes}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(temporary, JSON.stringify(file));
    await rename(temporary, this.path);
  }
}
