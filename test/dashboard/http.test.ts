import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../local/dashboard/index.js';

/** The dashboard's routes behind a plain HTTP server that answers 403 to the rest, as the gateway does. */
describe('the dashboard\'s HTTP routes', () => {
  let dashboard: Dashboard;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dashboard = createDashboard({
      stage: 'dev',
      dynamodbEndpoint: 'http://127.0.0.1:9', // never reached: no state is read here
      environment: () => ({ ACK_TIMEOUT_MS: '500', BACKOFF_CAP_MS: '1000', SWEEP_INTERVAL_MS: '200' }),
    });
    server = createServer((req, res) => {
      void dashboard.handleRequest(req, res).then((handled) => {
        if (!handled) res.writeHead(403).end('{"message":"Forbidden"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await dashboard.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the page, its bundled script (client library and uPlot) and stylesheet', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script src="/_qosgate/main.js">');
    const js = await fetch(`${base}/_qosgate/main.js`);
    expect(js.status).toBe(200);
    const source = await js.text();
    expect(source).toContain('// client/client.ts'); // esbuild names each bundled module
    expect(source).toContain('// node_modules/uplot/dist/uPlot.esm.js');
    expect(await (await fetch(`${base}/_qosgate/main.css`)).text()).toContain('.uplot');
  }, 30_000);

  it('answers the config from the functions\' environment', async () => {
    expect(await (await fetch(`${base}/_qosgate/config`)).json()).toEqual({
      stage: 'dev',
      policy: { ackTimeoutMs: 500, backoffCapMs: 1000, attemptLimit: 20, sweepIntervalMs: 200 },
    });
  });

  it('leaves every other path to the gateway (403), and is read only (405)', async () => {
    expect((await fetch(`${base}/dev2`)).status).toBe(403);
    expect((await fetch(`${base}/_qosgate/nope`)).status).toBe(403);
    expect((await fetch(`${base}/_qosgate/state`, { method: 'POST', body: '{}' })).status).toBe(405);
  });

  it('streams the feed as Server-Sent Events, replaying only what a reconnecting page has not seen', async () => {
    const observer = dashboard.observe();
    observer.frameIn?.('c1', 'sensor|temp|21');
    observer.frameIn?.('c1', 'sensor|temp|22');
    const read = (lastEventId?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = request(`${base}/_qosgate/events`, { headers: lastEventId ? { 'last-event-id': lastEventId } : {} }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes('"data":23')) {
              req.destroy();
              resolve(text);
            }
          });
        });
        req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
        req.end();
        setTimeout(() => observer.frameIn?.('c1', 'sensor|temp|23'), 100); // live, after the replay
      });
    const all = await read();
    expect(all).toMatch(/^retry: 1000\n\n/);
    expect([...all.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([1, 2, 3]);
    const resumed = await read('3');
    expect([...resumed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([4]);
  });
});
