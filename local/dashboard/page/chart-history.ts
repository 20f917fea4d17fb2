/**
 * The chart's first points (PROTOCOL §10): the last hour of `sensor/temp` from the server's
 * history, read on open through the page's own client connection. Apart from uPlot and the
 * page, so it is tested in Node.
 */
import type { HistoryItem, QosgateClient } from '../../../client/index.js';

/** What the chart shows on open: the last hour (the history TTL keeps more). */
export const CHART_HISTORY_MS = 60 * 60 * 1000;

/** A reading the chart takes: epoch ms and a number. */
export interface ChartPoint {
  atMs: number;
  value: number;
}

/** The numeric readings of a history answer (newest first), oldest first, as the chart adds them. */
export function chartPoints(items: HistoryItem[]): ChartPoint[] {
  return items.filter((item) => typeof item.data === 'number' && Number.isFinite(item.data)).map((item) => ({ atMs: item.at, value: item.data as number })).reverse();
}

/**
 * Asks for the last hour of sensor/temp (one `history` request, up to 1000 readings: a sensor
 * every 2 s sends 1,800 an hour, so the newest 1,000 cover the last half hour or more) and
 * gives the points, oldest first.
 */
export async function loadChartHistory(client: Pick<QosgateClient, 'history'>, now: number): Promise<ChartPoint[]> {
  return chartPoints(await client.history('sensor', 'temp', { since: now - CHART_HISTORY_MS, limit: 1000 }));
}
