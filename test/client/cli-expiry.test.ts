import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { formatMessage } from '../../cli/format.js';
import { main } from '../../cli/main.js';
import { expiryOption } from '../../cli/options.js';

/** `qosgate publish --expiry N` (PROTOCOL §4 per-message expiry), and `expiry=N` on message lines. */
const io = () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), signal: new AbortController().signal }, out: () => out, err: () => err };
};

describe('qosgate publish --expiry', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('sends the publish with its expiry and says so once answered', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const frames: Array<Record<string, unknown>> = [];
    server.on('connection', (ws) =>
      ws.on('message', (raw: Buffer) => {
        const frame = JSON.parse(raw.toString()) as Record<string, unknown>;
        frames.push(frame);
        if (frame.action === 'publish') ws.send(JSON.stringify({ type: 'msgack', id: frame.id }));
      }),
    );
    await new Promise((resolve) => server?.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const t = io();
    expect(await main(['publish', '--url', `ws://127.0.0.1:${port}/dev`, '--qos', '1', '--expiry', '30', '21.5'], t.io)).toBe(0);
    expect(frames.filter((f) => f.action === 'publish')).toEqual([expect.objectContaining({ data: 21.5, qos: 1, expiry: 30 })]);
    expect(t.out()).toContain('published sensor/temp qos=1 expiry=30 (msgack)');
  });

  it('refuses an expiry that is not a whole number of seconds, 1 or more, before connecting (exit 2)', async () => {
    for (const bad of ['0', '-1', '1.5', 'soon', '']) {
      const t = io();
      expect(await main(['publish', '--url', 'ws://127.0.0.1:9/dev', `--expiry=${bad}`, '1'], t.io)).toBe(2);
      expect(t.err()).toContain('--expiry must be a whole number of seconds, 1 or more');
    }
    expect(expiryOption('17')).toBe(17);
    expect(expiryOption(undefined)).toBeUndefined();
  });
});

describe('a message line', () => {
  it('shows the seconds the message had left', () => {
    expect(formatMessage({ controller: 'monitor', topic: 'temp', data: 1, qos: 1, id: 'm1', dup: false, retained: false, expiry: 17 })).toBe('monitor/temp 1 qos=1 id=m1 dup=false expiry=17');
    expect(formatMessage({ controller: 'monitor', topic: 'temp', data: 1, qos: 0, dup: false, retained: true })).toBe('monitor/temp 1 qos=0 dup=false retained');
  });
});
