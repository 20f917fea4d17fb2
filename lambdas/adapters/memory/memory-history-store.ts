import type { HistoryRecord } from '../../core/types.js';
import type { HistoryPage, HistoryQuery, HistoryStore } from '../../ports/history-store.js';
import { compareStrings, copy, isLive } from './records.js';

/** History per `<controller>|<topic>`, each topic's records in a Map by (receivedAt, messageId). */
export class MemoryHistoryStore implements HistoryStore {
  private readonly topics = new Map<string, Map<string, HistoryRecord>>();

  async append(records: HistoryRecord[]): Promise<void> {
    for (const record of records) {
      const key = `${record.controller}|${record.topic}`;
      const topic = this.topics.get(key) ?? new Map<string, HistoryRecord>();
      this.topics.set(key, topic);
      topic.set(recordKey(record), copy(record));
    }
  }

  async page(controller: string, topic: string, query: HistoryQuery, now: number): Promise<HistoryPage> {
    const matching = [...(this.topics.get(`${controller}|${topic}`)?.entries() ?? [])]
      .filter(([, r]) => isLive(r, now) && (query.since === undefined || r.receivedAt >= query.since) && (query.before === undefined || r.receivedAt < query.before))
      .sort(([a], [b]) => compareStrings(b, a))
      .map(([, r]) => copy(r));
    return { items: matching.slice(0, query.limit), more: matching.length > query.limit };
  }
}

/** As the DynamoDB sort key: receivedAt (13 digits) then messageId, so keys sort by time. */
function recordKey(record: Pick<HistoryRecord, 'receivedAt' | 'messageId'>): string {
  return `${String(record.receivedAt).padStart(13, '0')}#${record.messageId}`;
}
