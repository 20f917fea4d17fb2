/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The page's side of the dashboard's read-only API (local/dashboard/index.ts): the config and
 * state as JSON, and the live frame feed as Server-Sent Events.
 */
import type { FeedEvent } from '../feed.js';
import type { DashboardState } from '../state.js';

export type { FeedEvent, FrameEvent } from '../feed.js';
export type { ConnectionView, DashboardState, DeadLetterView, PendingView, PresenceView } from '../state.js';

export interface DashboardConfig {
  stage: string;
  policy: { ackTimeoutMs: number; backoffCapMs: number; attemptLimit: number; sweepIntervalMs: number };
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export const fetchConfig = (): Promise<DashboardConfig> => getJson('/_qosgate/config');
export const fetchState = (): Promise<DashboardState> => getJson('/_qosgate/state');

/**
 * Follows the frame feed. The browser's EventSource reconnects by itself (after a restart of
 * `npm start` too) and sends the last event id it got, so the server replays only what the
 * page has not seen.
 */
export function followEvents(onEvent: (event: FeedEvent) => void, onStatus: (open: boolean) => void): () => void {
  const source = new EventSource('/_qosgate/events');
  source.onopen = () => onStatus(true);
  source.onerror = () => onStatus(false);
  source.onmessage = (message: MessageEvent<string>) => onEvent(JSON.parse(message.data) as FeedEvent);
  return () => source.close();
}
