import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { connect as connectClient } from '../../client/node.js';
import { main } from '../../cli/main.js';
import { silentLogger } from '../../lambdas/ports/logger.js';
import { utf8ByteLength } from '../../lambdas/core/frames/utf8.js';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import type { TestClient } from '../support/ws-client.js';

/**
 * PROTOCOL §10 end to end on the local runtime (plain `ws` clients; the template's History function
 * with its IAM policy enforced): the seed's readings land in history as they are accepted, and a
 * monitor that opens late gets the last hour; answers over 32 KB come in several frames.
 */

type Frame = Record<string, unknown> & { type?: string; items?: Array<{ data: unknown; at: number; clientId: string }>; more?: boolean; next?: number; id?: string };

/** The frames of one history answer (by its id), once its last frame (`more: false`) is in. */
async function answer(client: TestClient, id: string): Promise<Frame[]> {
  const ofId = () => (client.json() as Frame[]).filter((f) => f.id === id);
  await client.waitFor(() => ofId().some((f) => f.type === 'error' || (f.type === 'history' && f.more === false)), 15_000, `the answer to ${id}`);
  return ofId();
}

describe('history on the local runtime (seed flow)', () => {
  const e2e = useE2eRuntime({ dashboard: false, log: silentLogger });

  it('the sensor’s temp readings land in history; a monitor opening late gets the last hour, newest first', async () => {
    const sensor = await e2e.connect({ controllers: 'sensor', clientId: 'dev-7' });
    const readings = [21.5, 21.7, 22.0, 22.4, 22.1];
    const started = Date.now();
    for (const value of readings) {
      sensor.send(`sensor|temp|${value}`);
      // One at a time: each in its own millisecond, in order (the gateway runs frames concurrently).
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The sensor's frames are QoS 0: no answer to wait for; the monitor asks until all are in.
    const monitor = await e2e.connect({ controllers: 'monitor' });
    let frames: Frame[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      const id = `late-${attempt}`;
      monitor.send({ action: 'history', controller: 'sensor', topic: 'temp', since: Date.now() - 3_600_000, id });
      frames = await answer(monitor, id);
      if ((frames[0]?.items?.length ?? 0) >= readings.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(frames).toHaveLength(1);
    const [frame] = frames;
    expect(frame).toMatchObject({ type: 'history', controller: 'sensor', topic: 'temp', more: false });
    expect(frame?.items?.map((i) => i.data)).toEqual([...readings].reverse());
    expect(frame?.items?.every((i) => i.clientId === 'dev-7' && i.at >= started - 1000 && i.at <= Date.now())).toBe(true);
  });

  it('pages: an answer over 32 KB comes in frames under 32 KB, more: true until the last; next pages further back', async () => {
    const device = await e2e.connect({ clientId: 'dev-big', qos: '1' });
    const blob = 'x'.repeat(6000);
    const count = 12;
    for (let i = 0; i < count; i++) {
      // QoS 1, one after the other: each msgack means its record is stored.
      device.send({ action: 'publish', controller: 'sensor', topic: 'blob', data: { i, blob }, qos: 1, id: `b-${i}` });
      await device.waitFor((c) => c.json().some((f) => f.type === 'msgack' && f.id === `b-${i}`), 15_000, `msgack b-${i}`);
    }
    const reader = await e2e.connect({});
    reader.send({ action: 'history', controller: 'sensor', topic: 'blob', limit: 8, id: 'p1' });
    const page1 = await answer(reader, 'p1');
    expect(page1.length).toBeGreaterThan(1);
    expect(page1.map((f) => f.more)).toEqual([...page1.slice(1).map(() => true), false]);
    for (const raw of reader.frames.filter((r) => r.includes('"p1"'))) expect(utf8ByteLength(raw)).toBeLessThan(32 * 1024);
    const first = page1.flatMap((f) => f.items ?? []).map((i) => (i.data as { i: number }).i);
    expect(first).toEqual([11, 10, 9, 8, 7, 6, 5, 4]);
    const next = page1.at(-1)?.next;
    expect(typeof next).toBe('number');

    reader.send({ action: 'history', controller: 'sensor', topic: 'blob', limit: 8, before: next, id: 'p2' });
    const page2 = await answer(reader, 'p2');
    expect(page2.flatMap((f) => f.items ?? []).map((i) => (i.data as { i: number }).i)).toEqual([3, 2, 1, 0]);
    expect(page2.at(-1)).not.toHaveProperty('next');
  });

  it('bad input is BAD_REQUEST with the request’s id; nothing else comes', async () => {
    const reader = await e2e.connect({});
    reader.send({ action: 'history', controller: 'sensor', topic: 'temp', limit: 5000, id: 'bad-1' });
    reader.send({ action: 'history', controller: 'sensor', topic: 'temp', since: 10, before: 5, id: 'bad-2' });
    expect(await answer(reader, 'bad-1')).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST', id: 'bad-1', message: 'limit must be a whole number from 1 to 1000' })]);
    expect(await answer(reader, 'bad-2')).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST', id: 'bad-2', message: 'since must not be after before' })]);
  });

  it('the client library and the CLI read it too', async () => {
    const client = await connectClient({ url: e2e.runtime.url });
    try {
      const items = await client.history('sensor', 'temp', { limit: 2 });
      expect(items.map((i) => i.data)).toEqual([22.1, 22.4]);
      const page = await client.historyPage('sensor', 'temp', { limit: 2 });
      expect(typeof page.next).toBe('number');
      await expect(client.history('sensor', 'temp', { limit: 0 })).rejects.toMatchObject({ name: 'ServerRefusedError', serverCode: 'BAD_REQUEST' });
    } finally {
      await client.close();
    }
    const out: string[] = [];
    const err: string[] = [];
    const stream = (into: string[]) => ({ write: (chunk: string) => (into.push(String(chunk)), true) }) as unknown as NodeJS.WritableStream;
    const code = await main(['history', 'sensor', 'temp', '--url', e2e.runtime.url, '--since=-1h', '--limit', '3'], {
      stdout: stream(out),
      stderr: stream(err),
      stdin: process.stdin,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    const lines = out.join('').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z 22\.1 clientId=dev-7$/);
    expect(err.join('')).toMatch(/3 messages of sensor\/temp; older ones: --before \d+/);
  });
});

describe('history needs the subscribe right (auth on the local runtime)', () => {
  const SECRET = 'e2e-secret-0123456789-0123456789-0123456789';
  const e2e = useE2eRuntime({ dashboard: false, log: silentLogger, context: { 'qosgate:authRequired': true }, overrides: { jwtSecret: SECRET } });
  const tokenFor = (clientId: string, actions: string[]) =>
    new SignJWT({ clientId, controllers: ['sensor', 'monitor'], actions }).setProtectedHeader({ alg: 'HS256' }).setSubject(clientId).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

  it('FORBIDDEN with publish only; answered with the subscribe right', async () => {
    const device = await e2e.connect({ controllers: 'sensor', clientId: 'dev-a', token: await tokenFor('dev-a', ['publish']) });
    device.send('sensor|temp|19.5');
    device.send({ action: 'history', controller: 'sensor', topic: 'temp', id: 'no-right' });
    expect(await answer(device, 'no-right')).toEqual([expect.objectContaining({ type: 'error', code: 'FORBIDDEN', message: 'this connection may not subscribe' })]);
    const monitor = await e2e.connect({ controllers: 'monitor', clientId: 'mon-a', token: await tokenFor('mon-a', ['subscribe']) });
    let items: unknown[] = [];
    for (let attempt = 0; attempt < 50 && items.length === 0; attempt++) {
      monitor.send({ action: 'history', controller: 'sensor', topic: 'temp', id: `right-${attempt}` });
      const [frame] = await answer(monitor, `right-${attempt}`);
      expect(frame).toMatchObject({ type: 'history' });
      items = frame?.items ?? [];
    }
    expect(items).toEqual([expect.objectContaining({ data: 19.5, clientId: 'dev-a' })]);
  });
});
