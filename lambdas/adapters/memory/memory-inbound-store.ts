import type { InboundRecord } from '../../core/types.js';
import type { InboundStore } from '../../ports/inbound-store.js';
import { copy, isLive } from './records.js';

/** Clients' QoS 2 publishes in a Map per session; the conditions are those of the DynamoDB store. */
export class MemoryInboundStore implements InboundStore {
  /** sessionId -> the client's id -> record */
  private readonly sessions = new Map<string, Map<string, InboundRecord>>();

  async putIfAbsent(record: InboundRecord, now: number): Promise<{ result: 'stored' | 'exists'; record: InboundRecord }> {
    const existing = this.find(record.sessionId, record.id);
    // An expired record counts as absent, as in DynamoDB before its TTL deletion.
    if (existing && isLive(existing, now)) return { result: 'exists', record: copy(existing) };
    let records = this.sessions.get(record.sessionId);
    if (records === undefined) this.sessions.set(record.sessionId, (records = new Map()));
    records.set(record.id, copy(record));
    return { result: 'stored', record: copy(record) };
  }

  async claim(
    sessionId: string,
    id: string,
    releasingUntil: number,
    now: number,
  ): Promise<{ result: 'claimed'; record: InboundRecord } | { result: 'busy' | 'missing' }> {
    const record = this.find(sessionId, id);
    if (record === undefined || !isLive(record, now)) return { result: 'missing' };
    if (record.releasingUntil !== undefined && record.releasingUntil >= now) return { result: 'busy' };
    record.releasingUntil = releasingUntil;
    record.releases = (record.releases ?? 0) + 1;
    return { result: 'claimed', record: copy(record) };
  }

  async delete(sessionId: string, id: string): Promise<void> {
    this.sessions.get(sessionId)?.delete(id);
  }

  async deleteSession(sessionId: string, _now: number): Promise<void> {
    this.sessions.delete(sessionId);
  }

  async deleteOfConnection(sessionId: string, connectionId: string, _now: number): Promise<void> {
    const records = this.sessions.get(sessionId);
    for (const [id, record] of records ?? []) if (record.connectionId === connectionId) records?.delete(id);
  }

  private find(sessionId: string, id: string): InboundRecord | undefined {
    return this.sessions.get(sessionId)?.get(id);
  }
}
