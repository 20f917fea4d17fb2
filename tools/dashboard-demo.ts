/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Locator, Page } from 'playwright-core';

/**
 * The seed's demo played with the dashboard's buttons (local/dashboard), in a page that shows it:
 * a monitor claiming QoS 1 with auto-ack off, one claiming nothing, and a sensor. Shared by the
 * dashboard's browser test and `npm run screenshot`, so the picture shows what the test checks.
 */

/** Debian's `chromium` unless CHROMIUM_PATH says otherwise (`.ci/run` installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** On a closed network Chromium must not try to reach Google's services. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Resends every 0.5 s doubling to 1 s, swept every 0.2 s: a few resends within seconds. */
export const FAST_DEMO_CONTEXT = { 'qosgate:policy': { ackTimeoutMs: 500, backoffCapMs: 1000 }, 'qosgate:sweep': { intervalMs: 200 } };

/** What the demo left on the page: the QoS 1 monitor's card and an id it was sent twice or more (dup). */
export interface DemoState {
  monitor: Locator;
  resentId: string;
}

/**
 * Opens the three clients and waits until the QoS 1 monitor got one message again (dup) at least
 * twice, the pending table counts those attempts, and the chart has a few readings.
 */
export async function playSeedDemo(page: Page, dashboardUrl: string): Promise<DemoState> {
  await page.goto(dashboardUrl);
  await page.locator('#live', { hasText: 'live' }).waitFor();

  await page.click('#open-monitor-qos1');
  const monitor = page.locator('.card.monitor[data-client^="dash-monitor-q1"]');
  await monitor.waitFor();
  await monitor.locator('input.auto-ack').click();
  await page.waitForFunction(() => document.querySelector<HTMLInputElement>('.card.monitor[data-client^="dash-monitor-q1"] input.auto-ack')?.checked === false);
  await page.click('#open-monitor-qos0');
  await page.locator('.card.monitor[data-client^="dash-monitor-q0"]').waitFor();
  await page.click('#start-sensor');
  await page.locator('.card.sensor').waitFor();

  const resent = await page.waitForFunction(
    () => {
      const counts: Record<string, number> = {};
      for (const row of document.querySelectorAll<HTMLElement>('#log tr.out.dup')) counts[row.dataset.id ?? ''] = (counts[row.dataset.id ?? ''] ?? 0) + 1;
      return Object.entries(counts).find(([, n]) => n >= 2)?.[0];
    },
    undefined,
    { timeout: 20_000 },
  );
  const resentId = (await resent.jsonValue()) as string;
  await page.waitForFunction((pendingId) => Number(document.querySelector<HTMLElement>(`#pending tr[data-pending="${pendingId}"]`)?.dataset.attempts ?? 0) >= 2, resentId, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll('#log tr.in[data-what="publish"]').length >= 3, undefined, { timeout: 15_000 });
  return { monitor, resentId };
}
