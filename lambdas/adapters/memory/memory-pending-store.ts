import type { PendingEntry, PendingKey } from '../../core/types.js';
import type { PendingStore } from '../../ports/pending-store.js';
import { compareStrings, copy, isLive } from './records.js';

/**
 * Pending entries in a Map per session. It keeps the DynamoDB store's semantics, including
 * that due() looks at due times only (the resend index cannot see expiry) and that the
 * conditional methods compare `dueAt` alone.
 */
export class MemoryPendingStore implements PendingStore {
  /** sessionId -> id -> entry */
  private readonly sessions = new Map<string, Map<string, PendingEntry>>();

  async putMany(entries: PendingEntry[]): Promise<void> {
    for (const entry of entries) this.set(entry);
  }

  async getMany(keys: PendingKey[], now: number): Promise<PendingEntry[]> {
    const seen = new Set<string>();
    const found: PendingEntry[] = [];
    for (const key of keys) {
      const name = `${key.sessionId}\u0000${key.id}`;
      if (seen.has(name)) continue;
      seen.add(name);
      const entry = this.find(key);
      if (entry && isLive(entry, now)) found.push(copy(entry));
    }
    return found;
  }

  async deleteMany(keys: PendingKey[]): Promise<void> {
    for (const key of keys) this.sessions.get(key.sessionId)?.delete(key.id);
  }

  async ofSession(sessionId: string, now: number): Promise<PendingEntry[]> {
    return [...(this.sessions.get(sessionId)?.values() ?? [])]
      .filter((entry) => isLive(entry, now))
      .sort((a, b) => compareStrings(a.id, b.id))
      .map((entry) => copy(entry));
  }

  async *pagesOfSession(sessionId: string, now: number, pageSize: number): AsyncIterable<PendingEntry[]> {
    const entries = await this.ofSession(sessionId, now);
    for (let start = 0; start < entries.length; start += pageSize) yield entries.slice(start, start + pageSize);
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    this.sessions.delete(sessionId);
  }

  async due(now: number, limit: number): Promise<Array<PendingKey & { dueAt: number }>> {
    if (limit <= 0) return [];
    const due: Array<PendingKey & { dueAt: number }> = [];
    for (const entries of this.sessions.values()) {
      for (const entry of entries.values()) {
        if (entry.dueAt <= now) due.push({ sessionId: entry.sessionId, id: entry.id, dueAt: entry.dueAt });
      }
    }
    return due
      .sort((a, b) => a.dueAt - b.dueAt || compareStrings(a.sessionId, b.sessionId) || compareStrings(a.id, b.id))
      .slice(0, limit);
  }

  async replaceIf(entry: PendingEntry, expectedDueAt: number): Promise<PendingEntry | undefined> {
    if (this.find(entry)?.dueAt !== expectedDueAt) return undefined;
    this.set(entry);
    return copy(entry);
  }

  async release(
    key: PendingKey,
    dueAt: number,
    now: number,
  ): Promise<{ result: 'released' | 'already-released'; entry: PendingEntry } | { result: 'missing' | 'not-qos2' }> {
    const entry = this.find(key);
    if (entry === undefined || !isLive(entry, now)) return { result: 'missing' };
    if (entry.qos !== 2) return { result: 'not-qos2' };
    if (entry.state === 'released') return { result: 'already-released', entry: copy(entry) };
    entry.state = 'released';
    entry.attempts = 1;
    entry.dueAt = dueAt;
    return { result: 'released', entry: copy(entry) };
  }

  async deleteIf(key: PendingKey, expectedDueAt: number): Promise<boolean> {
    if (this.find(key)?.dueAt !== expectedDueAt) return false;
    return this.sessions.get(key.sessionId)?.delete(key.id) ?? false;
  }

  private find(key: PendingKey): PendingEntry | undefined {
    return this.sessions.get(key.sessionId)?.get(key.id);
  }

  private set(entry: PendingEntry): void {
    let entries = this.sessions.get(entry.sessionId);
    if (entries === undefined) this.sessions.set(entry.sessionId, (entries = new Map()));
    entries.set(entry.id, copy(entry));
  }
}
