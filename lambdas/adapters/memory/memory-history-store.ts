import type { HistoryRecord } from '../../core/types.js';
import type { HistoryPage, HistoryQuery, HistoryStore } from '../../ports/history-store.js';
import { compact, compareStrings, isLive } from './records.js';

/** A record as kept here: `data` as its JSON text, as the DynamoDB item keeps it. */
type Kept = Omit<HistoryRecord, 'data'> & { json: string };

/**
 * History per `<controller>|<topic>`, each topic's records in a Map by (receivedAt, messageId).
 * `data` is kept as JSON text, not cloned: a publish may carry data nested deeper than
 * structuredClone's recursion takes (the frame parser allows what JSON.parse does).
 */
export class MemoryHistoryStore implements HistoryStore {
  private readonly topics = new Map<string, Map<string, Kept>>();

  async append(records: HistoryRecord[]): Promise<void> {
    for (const { data, ...rest } of records) {
      const key = `${rest.controller}|${rest.topic}`;
      const topic = this.topics.get(key) ?? new Map<string, Kept>();
      this.topics.set(key, topic);
      topic.set(recordKey(rest), compact({ ...rest, json: JSON.stringify(data ?? null) }));
    }
  }

  async page(controller: string, topic: string, query: HistoryQuery, now: number): Promise<HistoryPage> {
    const matching = [...(this.topics.get(`${controller}|${topic}`)?.entries() ?? [])]
      .filter(([, r]) => isLive(r, now) && (query.since === undefined || r.receivedAt >= query.since) && (query.before === undefined || r.receivedAt < query.before))
      .sort(([a], [b]) => compareStrings(b, a));
    const items = matching.slice(0, query.limit).map(([, { json, ...rest }]) => ({ ...rest, data: JSON.parse(json) as unknown }) as HistoryRecord);
    return { items, more: matching.length > query.limit };
  }
}

/** As the DynamoDB sort key: receivedAt (13 digits) then messageId, so keys sort by time. */
function recordKey(record: Pick<HistoryRecord, 'receivedAt' | 'messageId'>): string {
  return `${String(record.receivedAt).padStart(13, '0')}#${record.messageId}`;
}
