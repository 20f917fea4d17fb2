import type { IncomingEntry, OutboxEntry, OutboxStore } from './outbox.js';

/**
 * The default outbox: kept in memory, so it survives reconnects but not a restart of the
 * process or a reload of the page (neither the unanswered publishes nor the inbound QoS 2 ids:
 * see docs/client.md for what that leaves unguaranteed). A Map keeps insertion order, which
 * `list` promises.
 */
export class MemoryOutbox implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly incoming = new Map<string, IncomingEntry>();

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

  async putIncoming(entry: IncomingEntry): Promise<void> {
    this.incoming.set(entry.id, { ...entry });
  }

  async getIncoming(id: string): Promise<IncomingEntry | undefined> {
    const entry = this.incoming.get(id);
    return entry && { ...entry };
  }

  async deleteIncoming(id: string): Promise<void> {
    this.incoming.delete(id);
  }

  async listIncoming(): Promise<IncomingEntry[]> {
    return [...this.incoming.values()].map((e) => ({ ...e }));
  }
}
