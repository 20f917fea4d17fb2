import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFrameLog } from '../../local/frame-log.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

// Issue 12 point 7 on the local runtime with the real handlers: its log (what `npm start` prints)
// shows refusals with their reason, connects, closes with their cause, and takeovers.

let runtime: LocalRuntime;
const lines: string[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, inMemory: true, dashboard: false, schedules: false, frameLog: consoleFrameLog((line) => lines.push(line)) });
}, 60_000);
afterAll(() => runtime?.stop());

/** Resolves once a log line matches. */
async function logged(pattern: RegExp): Promise<string> {
  for (let i = 0; i < 500; i += 1) {
    const found = lines.find((line) => pattern.test(line));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line matched ${pattern}:\n${lines.join('\n')}`);
}

describe('the local runtime log', () => {
  it('prints a refused handshake with the reason the client got', async () => {
    await expect(TestClient.connect(runtime.url, { controllers: 'nope' })).rejects.toMatchObject({ statusCode: 400 });
    expect(await logged(/Refused: /)).toMatch(/Refused: {6}\S+ 400 unknown controller: nope \(by \$connect\) \?controllers=nope$/);
  });

  it('prints connects, a takeover by the same clientId, and a 1009 close with its cause', async () => {
    const first = await TestClient.connect(runtime.url, { clientId: 'dev-7', controllers: 'monitor' });
    expect(await logged(/Connected: .*\?clientId=dev-7&controllers=monitor from 127\.0\.0\.1$/)).toBeTruthy();
    const second = await TestClient.connect(runtime.url, { clientId: 'dev-7', controllers: 'monitor' });
    await first.waitFor((c) => c.closed, 10_000, 'the takeover close');
    const takeover = await logged(/Takeover: /);
    expect(takeover).toMatch(/Takeover: {5}\S+ closed \(1000\): clientId dev-7 connected again as \S+$/);
    const secondId = takeover.split(' ').at(-1)!;
    // The new connection is the one logged as connected last.
    expect(lines.filter((line) => line.includes('Connected: ')).at(-1)).toContain(` ${secondId} `);

    second.send('x'.repeat(33 * 1024));
    await second.waitFor((c) => c.closed, 10_000, 'the 1009 close');
    expect(await logged(/ 1009 /)).toMatch(/Disconnected: \S+ 1009 Frame size exceeds 32 KB limit: closed by the gateway: a frame over API Gateway's 32 KB limit$/);
  });
});
