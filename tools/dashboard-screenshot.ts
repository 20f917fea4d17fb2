/**
 * `npm run screenshot`: plays the seed's demo on the live dashboard in headless Chromium and saves
 * the page as docs/dashboard.png (README's picture). A person runs it on purpose after changing
 * the page; no test writes into the checkout.
 *
 *   npm run screenshot                         writes docs/dashboard.png
 *   npm run screenshot -- --out /tmp/d.png     writes elsewhere
 *
 * Needs Chromium (Debian's `chromium`, or CHROMIUM_PATH) and Java for DynamoDB Local, as the tests do.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startLocalRuntime } from '../local/runtime.js';
import { CHROMIUM, CHROMIUM_ARGS, FAST_DEMO_CONTEXT, playSeedDemo } from './dashboard-demo.js';

const DEFAULT_OUT = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const USAGE = 'usage: npm run screenshot [-- --out FILE.png]   (default: docs/dashboard.png)';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`screenshot: Chromium is not installed at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`);
    return 1;
  }
  const out = values.out ? resolve(values.out) : DEFAULT_OUT;
  const runtime = await startLocalRuntime({ port: 0, inMemory: true, context: FAST_DEMO_CONTEXT, log: { info: () => {}, warn: console.warn, error: console.error } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    await playSeedDemo(page, runtime.dashboardUrl as string);
    await page.waitForTimeout(300); // the last reading drawn
    await page.screenshot({ path: out, fullPage: true });
    console.log(`screenshot: wrote ${out}`);
    return 0;
  } finally {
    await browser.close();
    await runtime.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`screenshot: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
