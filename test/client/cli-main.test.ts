import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../cli/main.js';
import { parseData, parseDuration } from '../../cli/options.js';

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
});
