import type { InboundRecord } from '../core/types.js';

/** Clients' QoS 2 publishes between `publish` and `pubrel` (PROTOCOL §4, client to server). */
export interface InboundStore {
  /**
   * Stores the record unless one with the same (sessionId, id) exists: the dedup of a
   * repeated publish is this conditional write. Returns the record that is stored now.
   */
  putIfAbsent(record: InboundRecord, now: number): Promise<{ result: 'stored' | 'exists'; record: InboundRecord }>;
  /**
   * Claims the record for handing on: succeeds only if no other pubrel holds it
   * (`releasingUntil` absent or past), and counts the claim in `releases` (1 on the first).
   * `missing` means it was completed already.
   */
  claim(
    sessionId: string,
    id: string,
    releasingUntil: number,
    now: number,
  ): Promise<{ result: 'claimed'; record: InboundRecord } | { result: 'busy' | 'missing' }>;
  delete(sessionId: string, id: string): Promise<void>;
  deleteSession(sessionId: string, now: number): Promise<void>;
  /**
   * A clean session with a clientId ended: deletes its records received by `connectionId`,
   * each conditionally, so what a newer connection of the clientId received since stays.
   */
  deleteOfConnection(sessionId: string, connectionId: string, now: number): Promise<void>;
}
