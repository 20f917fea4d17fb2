import type { Harness } from './harness.js';

/**
 * Page sizes small enough that a 30-recipient audience takes an inline page and three job pages
 * (10 + 7 + 7 + 6), in spans of two: the first span job hands on a page and queues the second
 * as a bounded job and the third as the next span.
 */
export const SMALL_PAGES = { inlinePageSize: 10, jobPageSize: 7, spanPages: 2, leaseMs: 1000 };

/** Connects `count` clients claiming `qos` and subscribes each to monitor/`topic` at that QoS; returns their connection ids. */
export async function subscribedClients(h: Harness, count: number, qos: 1 | 2, topic = 'news'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = await h.client({ qos: String(qos) });
    await h.send(id, { action: 'subscribe', controller: 'monitor', topic, qos });
    ids.push(id);
  }
  return ids;
}

/** Connects a client per clientId (so session ids sort as the clientIds do) and subscribes each to monitor/`topic` at `qos`; returns their connection ids. */
export async function subscribedAs(h: Harness, clientIds: string[], qos: 1 | 2, topic = 'news'): Promise<string[]> {
  const ids: string[] = [];
  for (const clientId of clientIds) {
    const id = await h.client({ qos: String(qos), clientId });
    await h.send(id, { action: 'subscribe', controller: 'monitor', topic, qos });
    ids.push(id);
  }
  return ids;
}

/** The clientIds a00..a(count-1): sorted, so a test knows which page each falls in. */
export const sortedClientIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `a${String(i).padStart(2, '0')}`);
