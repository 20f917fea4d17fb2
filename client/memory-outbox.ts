import type { OutboxEntry, OutboxStore } from './outbox.js';

/**
 * The default outbox: kept in memory, so it survives reconnects but not a restart of the
 * process or a reload of the page. A Map keeps insertion order, which `list` promises.
 */
export class MemoryOutbox implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(entry.id, structuredClone(entry));
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const entry = this.entries.get(id);
    return entry && structuredClone(entry);
  }

  async delete(id: string): Promise<void> {
    this.entries.delete(id);
  }

  async list(): Promise<OutboxEntry[]> {
    return [...this.entries.values()].map((e) => structuredClone(e));
  }
}
