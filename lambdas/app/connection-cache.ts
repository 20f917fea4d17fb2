import type { ConnectionRecord } from '../core/types.js';
import type { ConnectionStore } from '../ports/connection-store.js';

/**
 * Connection records by id, kept for the life of a Lambda container. A connection's
 * session, claimed QoS and format never change after $connect, so a cached copy is safe;
 * only its open controllers grow, and opening one again is idempotent.
 */
export class ConnectionCache {
  private readonly records = new Map<string, ConnectionRecord>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly capacity = 10_000,
  ) {}

  async get(connectionId: string, now: number): Promise<ConnectionRecord | undefined> {
    const cached = this.records.get(connectionId);
    if (cached && cached.expiresAt > now) return cached;
    const stored = await this.store.get(connectionId, now);
    if (stored) this.remember(stored);
    return stored;
  }

  remember(record: ConnectionRecord): void {
    this.records.delete(record.connectionId);
    if (this.records.size >= this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
    this.records.set(record.connectionId, record);
  }

  forget(id: string): void {
    this.records.delete(id);
  }
}

