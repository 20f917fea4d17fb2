import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBatchLines } from '../../cli/batch-file.js';
import { main } from '../../cli/main.js';
import { UsageError } from '../../cli/options.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { TestClient } from '../support/ws-client.js';

const io = (stdinText = '') => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(stdinText);
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, stdin, signal: new AbortController().signal }, out: () => out, err: () => err };
};

describe('qosgate publish --batch: the JSON-lines file', () => {
  const defaults = { controller: 'monitor', topic: 'site-1/temp' };

  it('a line with data is a message (controller and topic defaulting to the command’s); any other JSON value is the data', () => {
    expect(parseBatchLines('{"data":21.5}\n\n{"topic":"site-1/hum","data":40,"retain":true,"expiry":30}\r\n25\n"text"\n[1,2]\n', defaults)).toEqual([
      { controller: 'monitor', topic: 'site-1/temp', data: 21.5 },
      { controller: 'monitor', topic: 'site-1/hum', data: 40, retain: true, expiry: 30 },
      { controller: 'monitor', topic: 'site-1/temp', data: 25 },
      { controller: 'monitor', topic: 'site-1/temp', data: 'text' },
      { controller: 'monitor', topic: 'site-1/temp', data: [1, 2] },
    ]);
  });

  it('a line that is not JSON, or a file without messages, is a usage error naming the line, before anything is sent', () => {
    expect(() => parseBatchLines('1\nnot json\n', defaults)).toThrow(new UsageError('--batch line 2 is not JSON: not json'));
    expect(() => parseBatchLines('\n\n', defaults)).toThrow(new UsageError('--batch has no messages'));
  });
});

describe('qosgate publish --batch against the local runtime', () => {
  let runtime: LocalRuntime;
  const dir = mkdtempSync(join(tmpdir(), 'qosgate-cli-batch-'));
  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true });
  }, 120_000);
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('publishes every line, 100 a frame, and waits for every msgack; a subscriber gets each once', async () => {
    const subscriber = await TestClient.connect(runtime.url, { qos: '1' });
    try {
      subscriber.send({ action: 'subscribe', controller: 'monitor', topic: 'site-1/#', qos: 1 });
      await subscriber.waitFor((c) => c.json().find((f) => f.type === 'suback'), 10_000, 'suback');
      const file = join(dir, 'readings.jsonl');
      writeFileSync(file, Array.from({ length: 150 }, (_, i) => JSON.stringify({ topic: `site-1/s${i % 5}`, data: { seq: i } })).join('\n'));
      const t = io();
      expect(await main(['publish', '--url', runtime.url, '--controller', 'monitor', '--batch', file], t.io), t.err()).toBe(0);
      expect(t.out()).toContain('published 150 messages in 2 frames qos=1 (msgack)');
      await subscriber.waitFor((c) => c.messages().length >= 150, 10_000, '150 deliveries');
      expect(subscriber.messages().map((m) => (m.data as { seq: number }).seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 150 }, (_, i) => i));

      const fromStdin = io('21.5\n22\n');
      expect(await main(['publish', '--url', runtime.url, '--controller', 'monitor', '--topic', 'site-1/x', '--qos', '0', '--batch', '-'], fromStdin.io), fromStdin.err()).toBe(0);
      expect(fromStdin.out()).toContain('published 2 messages in 1 frame qos=0');
      await subscriber.waitFor((c) => c.messages().filter((m) => m.topic === 'site-1/x').length >= 2, 10_000, 'the two from stdin');
    } finally {
      await subscriber.close();
    }
  }, 60_000);
});
