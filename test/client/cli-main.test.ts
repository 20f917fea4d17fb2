import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { COMMANDS, errorLine, main } from '../../cli/main.js';
import { formatPresence } from '../../cli/commands/presence.js';
import { helpText, parseData, parseDuration, UsageError, willOption } from '../../cli/options.js';
import { waitUntil } from './support/controlled-ws.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const io = () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), signal: new AbortController().signal }, out: () => out, err: () => err };
};

describe('the qosgate CLI: help and usage', () => {
  it('lists every command', async () => {
    const t = io();
    expect(await main(['--help'], t.io)).toBe(0);
    for (const name of ['sensor', 'monitor', 'publish', 'subscribe', 'raw']) expect(t.out()).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(COMMANDS.filter((c) => c.name !== 'token').map((c) => c.name))('qosgate %s --help prints its usage and options', async (name) => {
    const t = io();
    expect(await main([name, '--help'], t.io)).toBe(0);
    expect(t.out()).toMatch(new RegExp(`^Usage: qosgate ${name} `));
    expect(t.out()).toContain('--url <url>');
  });

  it('an unknown command or option, or a bad value, is a usage error (exit 2) with the help', async () => {
    const unknown = io();
    expect(await main(['nope'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain("unknown command 'nope'");
    const badFlag = io();
    expect(await main(['monitor', '--bogus'], badFlag.io)).toBe(2);
    expect(badFlag.err()).toContain('Usage: qosgate monitor');
    const badQos = io();
    expect(await main(['sensor', '--qos', '3'], badQos.io)).toBe(2);
    expect(badQos.err()).toContain('--qos must be 0, 1 or 2');
  });

  it('reads durations and data as documented', () => {
    expect(['250ms', '1s', '1.5s', '2m', '1h', '40'].map(parseDuration)).toEqual([250, 1000, 1500, 120_000, 3_600_000, 40]);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect([parseData('25.3'), parseData('{"a":1}'), parseData('hello')]).toEqual([25.3, { a: 1 }, 'hello']);
  });

  it('a connection that cannot be made fails with exit 1 and says why', async () => {
    const t = io();
    expect(await main(['publish', '--url', 'ws://127.0.0.1:9/dev', '1'], t.io)).toBe(1);
    expect(t.err()).toMatch(/could not connect/);
  });

  it('a connection error names the URL with its token elided', async () => {
    const t = io();
    expect(await main(['publish', '--url', 'ws://127.0.0.1:9/dev?token=eyJhbGciOi.secret.sig', '--token', 'eyJ.other.sig', '1'], t.io)).toBe(1);
    expect(t.err()).toMatch(/could not connect to ws:\/\/127\.0\.0\.1:9\/dev\?token=…/);
    expect(t.err()).not.toMatch(/eyJ/);
  });

  it('an error message that already starts with "qosgate:" (the server code\'s own) is not prefixed twice', () => {
    expect(errorLine('token', new Error('qosgate: environment variable QOSGATE_JWT_SECRET is required'))).toBe('qosgate token: environment variable QOSGATE_JWT_SECRET is required');
    expect(errorLine('publish', new Error('could not connect', { cause: new Error('qosgate: boom') }))).toBe('qosgate publish: could not connect (boom)');
  });

  it.each(COMMANDS.map((c) => c.name))('qosgate %s --help points only at files a clone has', (name) => {
    const text = helpText(COMMANDS.find((c) => c.name === name)!);
    for (const path of text.match(/\b[\w./-]+\.(?:md|ts|js|json)\b/g) ?? []) expect(existsSync(`${REPO}${path}`), path).toBe(true);
    expect(text).not.toMatch(/PROTOCOL(\.md)? §/); // the spec's own file is not in the repository: docs/protocol.md is
  });
});

describe('qosgate raw at a terminal', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it('an incoming frame clears the prompt line, is printed, and the prompt is drawn again after it', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server!.once('listening', resolve));
    server.on('connection', (ws) => ws.on('message', () => ws.send('{"type":"pong"}')));
    const t = io();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const controller = new AbortController();
    const running = main(['raw', '--url', `ws://127.0.0.1:${(server.address() as AddressInfo).port}/dev`], { ...t.io, stdin, signal: controller.signal });
    await waitUntil(() => t.err().includes('connected'), 'raw to connect');
    stdin.write('x|ping|\n');
    await waitUntil(() => t.out().includes('< {"type":"pong"}'), 'the pong');
    controller.abort();
    expect(await running).toBe(0);
    const out = t.out();
    // Where the pong is printed: the line is cleared first (ESC [2K, cursor to column 1), and "> " follows it.
    expect(out).toContain('\x1b[2K\x1b[1G< {"type":"pong"}\n> ');
    expect(out).not.toMatch(/> < /);
  });
});

describe('--will and presence lines (PROTOCOL §9)', () => {
  it('--will is a text frame controller|topic|data, data as JSON where it parses; --will-qos and --will-retain with it', () => {
    expect(willOption({ will: 'monitor|status/dev-7|offline' })).toEqual({ controller: 'monitor', topic: 'status/dev-7', data: 'offline' });
    expect(willOption({ will: 'monitor|t|{"a":1}', 'will-qos': '2', 'will-retain': true })).toEqual({ controller: 'monitor', topic: 't', data: { a: 1 }, qos: 2, retain: true });
    expect(willOption({ will: 'monitor|t' })).toEqual({ controller: 'monitor', topic: 't' });
    expect(willOption({})).toBeUndefined();
  });

  it.each([
    [{ will: 'monitor' }, '--will must be controller|topic|data, not monitor'],
    [{ will: '|t|x' }, '--will must be controller|topic|data, not |t|x'],
    [{ will: 'm|t|x', 'will-qos': '3' }, '--will-qos must be 0, 1 or 2, not 3'],
    [{ 'will-qos': '1' }, '--will-qos and --will-retain go with --will'],
  ])('refuses %j: %s', (values, message) => {
    expect(() => willOption(values)).toThrow(new UsageError(message));
  });

  it('prints online / offline with the reason, (now) for a retained value', () => {
    const message = { controller: '$presence', topic: 'dev-7', qos: 1 as const, dup: false };
    expect(formatPresence({ ...message, retained: true, data: { event: 'connected', clientId: 'dev-7', connectionId: 'c1=', at: 0 } })).toBe('dev-7 online since 1970-01-01T00:00:00.000Z (connection c1=) (now)');
    expect(formatPresence({ ...message, retained: false, data: { event: 'disconnected', clientId: 'dev-7', connectionId: 'c1=', at: 1000, reason: 'idle timeout' } })).toBe('dev-7 offline at 1970-01-01T00:00:01.000Z: idle timeout (connection c1=)');
  });
});
