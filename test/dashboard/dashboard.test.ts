/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { CHROMIUM, CHROMIUM_ARGS, FAST_DEMO_CONTEXT, playSeedDemo } from '../../tools/dashboard-demo.js';

/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core;
 * `.ci/run` installs it where it is missing): the seed's demo played with the page's buttons.
 * A QoS 1 monitor with auto-ack off gets the same id again and again (dup) until "ack" is
 * pressed, then nothing more. It writes nothing: `npm run screenshot` (tools/dashboard-screenshot.ts)
 * plays the same demo to make docs/dashboard.png, when a person asks for it.
 */
describe('the live dashboard, in headless Chromium', { timeout: 90_000 }, () => {
  let runtime: LocalRuntime | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];

  /** A missing browser fails the test itself (a failing hook would show it as skipped). */
  const missing = existsSync(CHROMIUM)
    ? undefined
    : `Chromium is not installed at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does it) or set CHROMIUM_PATH`;

  beforeAll(async () => {
    if (missing) return;
    // The handlers' info lines would bury the test's output; warnings and errors still show.
    runtime = await startLocalRuntime({ port: 0, inMemory: true, context: FAST_DEMO_CONTEXT, log: { info: () => {}, warn: console.warn, error: console.error } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  }, 60_000);

  /** Rows of the message log sent to `clientId`'s connection with dup=true, by message id. */
  const dupsById = (page: Page): Promise<Record<string, number>> =>
    page.evaluate(() => {
      const counts: Record<string, number> = {};
      for (const row of document.querySelectorAll<HTMLElement>('#log tr.out.dup')) {
        const id = row.dataset.id ?? '';
        counts[id] = (counts[id] ?? 0) + 1;
      }
      return counts;
    });

  it('shows a message resent (dup) to a QoS 1 monitor with auto-ack off until "ack" is pressed, then no more', async () => {
    if (missing) throw new Error(missing);
    expect(runtime?.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (browser as Browser).newPage({ viewport: { width: 1440, height: 1100 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
    // The seed's three windows (a monitor claiming QoS 1 with auto-ack off, one claiming nothing,
    // a sensor), until one id was sent again with dup: true at least twice and the pending table counts the attempts.
    const { monitor, resentId: id } = await playSeedDemo(page, runtime?.dashboardUrl as string);
    // The chart has the readings; the connections table all three clients.
    await expect.poll(() => page.locator('#connections tbody tr').count()).toBe(3);
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);

    // Stop the sensor so no new readings come.
    await page.locator('.card.sensor button[data-action="close"]').click();
    await page.waitForTimeout(600); // the last reading's message reaches the monitor

    // Press "ack" for every message the monitor holds: the pending entries go, and with them the resends.
    const ackButtons = monitor.locator('button.ack');
    expect(await ackButtons.count()).toBeGreaterThan(0);
    while ((await ackButtons.count()) > 0) await ackButtons.first().click();
    await page.locator('#pending td.none', { hasText: 'nothing pending' }).waitFor({ timeout: 10_000 });
    await page.locator(`#log tr.in.ack[data-id*="${id}"]`).first().waitFor();

    const before = await dupsById(page);
    await page.waitForTimeout(3000); // several resend periods (0.5 s to 1 s, swept every 0.2 s)
    expect(await dupsById(page)).toEqual(before);
    expect(await page.locator('#pending tbody tr').count()).toBe(1); // the "nothing pending" row
    expect(pageErrors).toEqual([]);
  });
});
