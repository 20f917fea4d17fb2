import type { PendingEntry, PendingKey } from '../../core/types.js';
import type { PendingStore } from '../../ports/pending-store.js';
import { compareStrings, copy, isLive } from './records.js';

/**
 * Pending entries in a Map per session. It keeps the DynamoDB store's semantics, including
 * that due() looks at due times only (the resend index cannot see expiry) and that the
 * conditional methods compare `dueAt` (and the dead-letter lease) alone. Tombstones of completed
 * QoS 2 entries live in a Map of their own: no read sees them, putAbsent respects them.
 */
export class MemoryPendingStore implements PendingStore {
  /** sessionId -> id -> entry */
  private readonly sessions = new Map<string, Map<string, PendingEntry>>();
  /** sessionId -> id -> until when the tombstone of a completed QoS 2 entry is kept */
  private readonly tombstones = new Map<string, Map<string, number>>();

  async putMany(entries: PendingEntry[]): Promise<void> {
    for (const entry of entries) this.set(entry);
  }

  /** Listed at once, as putMany's: the port allows that. */
  async putFirstSends(firstSends: PendingEntry[], others: PendingEntry[] = []): Promise<void> {
    await this.putMany([...firstSends, ...others]);
  }

  async acknowledge(sessionId: string, ids: string[], _now: number): Promise<void> {
    await this.deleteMany(ids.map((id) => ({ sessionId, id })));
  }

  async putAbsent(entries: PendingEntry[], now: number): Promise<{ stored: PendingEntry[]; existing: PendingEntry[] }> {
    const stored: PendingEntry[] = [];
    const existing: PendingEntry[] = [];
    for (const entry of entries) {
      const tombstone = this.tombstones.get(entry.sessionId)?.get(entry.id);
      if (tombstone !== undefined && tombstone >= now) continue;
      const current = this.find(entry);
      if (current && isLive(current, now)) {
        existing.push(copy(current));
        continue;
      }
      this.set(entry);
      stored.push(copy(entry));
    }
    return { stored, existing };
  }

  async complete(entries: PendingEntry[]): Promise<void> {
    for (const entry of entries) {
      this.sessions.get(entry.sessionId)?.delete(entry.id);
      if (entry.qos === 2) this.bury(entry, entry.deadlineAt);
    }
  }

  private bury(key: PendingKey, until: number): void {
    let ids = this.tombstones.get(key.sessionId);
    if (ids === undefined) this.tombstones.set(key.sessionId, (ids = new Map()));
    ids.set(key.id, until);
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
    for (const key of keys) {
      this.sessions.get(key.sessionId)?.delete(key.id);
      this.tombstones.get(key.sessionId)?.delete(key.id);
    }
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
    this.tombstones.delete(sessionId);
  }

  async deleteExpired(keys: PendingKey[], now: number): Promise<number> {
    let deleted = 0;
    for (const key of keys) {
      const entry = this.find(key);
      if (entry && !isLive(entry, now) && this.sessions.get(key.sessionId)?.delete(key.id)) deleted += 1;
    }
    return deleted;
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

  async replaceIf(entry: PendingEntry, expectedDueAt: number, expectedConnectionId?: string): Promise<PendingEntry | undefined> {
    const current = this.find(entry);
    if (current?.dueAt !== expectedDueAt) return undefined;
    if (expectedConnectionId !== undefined && current.connectionId !== expectedConnectionId) return undefined;
    if (current.deadLettering && !entry.deadLettering) return undefined;
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

  async deleteIf(key: PendingKey, expectedDueAt: number, tombstoneUntil?: number): Promise<boolean> {
    if (this.find(key)?.dueAt !== expectedDueAt) return false;
    this.sessions.get(key.sessionId)?.delete(key.id);
    if (tombstoneUntil !== undefined) this.bury(key, tombstoneUntil);
    return true;
  }

  private find(key: PendingKey): PendingEntry | undefined {
    return this.sessions.get(key.sessionId)?.get(key.id);
  }

  private set(entry: PendingEntry): void {
    this.tombstones.get(entry.sessionId)?.delete(entry.id);
    let entries = this.sessions.get(entry.sessionId);
    if (entries === undefined) this.sessions.set(entry.sessionId, (entries = new Map()));
    entries.set(entry.id, copy(entry));
  }
}
