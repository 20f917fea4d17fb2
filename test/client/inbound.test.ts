import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../client/file-outbox.js';
import type { InboundMessage } from '../../client/handlers.js';
import { MemoryOutbox } from '../../client/memory-outbox.js';
import { openFakeClient } from './support/client-fixture.js';
import { waitUntil } from './support/controlled-ws.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const outboxPath = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'qosgate-inbound-'));
  dirs.push(dir);
  return join(dir, 'outbox.json');
};

const message = (over: Record<string, unknown> = {}) => ({ type: 'message', controller: 'monitor', topic: 'temp', data: 21.5, qos: 1, id: 'm1', dup: false, ...over });

describe('the client receiving (PROTOCOL §4, server to client)', () => {
  it('QoS 1: acks after the handler returned (an async handler: after it resolved)', async () => {
    const { client, time, socket } = await openFakeClient();
    let release!: () => void;
    const seen: InboundMessage[] = [];
    client.on('monitor', 'temp', async (m) => {
      seen.push(m);
      await new Promise<void>((resolve) => (release = resolve));
    });
    socket().deliver(message());
    await time.advance(100);
    expect(seen).toEqual([{ controller: 'monitor', topic: 'temp', data: 21.5, qos: 1, id: 'm1', dup: false, retained: false }]);
    expect(socket().actions()).not.toContain('msgack');
    release();
    await time.advance(100);
    expect(socket().frames().filter((f) => f.action === 'msgack')).toEqual([{ action: 'msgack', ids: ['m1'] }]);
  });

  it('QoS 1: a handler that throws leaves the message unacked, and its resend runs the handler again', async () => {
    const { client, time, socket, errors } = await openFakeClient();
    let calls = 0;
    client.on('monitor', 'temp', () => {
      calls += 1;
      if (calls === 1) throw new Error('disk full');
    });
    socket().deliver(message());
    await time.advance(100);
    expect(socket().actions()).not.toContain('msgack');
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('disk full')]);
    socket().deliver(message({ dup: true }));
    await time.advance(100);
    expect(calls).toBe(2);
    expect(socket().frames().filter((f) => f.action === 'msgack')).toEqual([{ action: 'msgack', ids: ['m1'] }]);
  });

  it('coalesces the acks of a burst into one msgack frame', async () => {
    const { client, time, socket } = await openFakeClient({ ackBatchMs: 30 });
    client.on('*', '*', () => undefined);
    for (let i = 1; i <= 5; i++) socket().deliver(message({ id: `m${i}` }));
    await time.advance(50);
    expect(socket().frames().filter((f) => f.action === 'msgack')).toEqual([{ action: 'msgack', ids: ['m1', 'm2', 'm3', 'm4', 'm5'] }]);
  });

  it('QoS 2: the handler runs once per id however often message and pubrel arrive', async () => {
    const { client, time, socket } = await openFakeClient();
    const seen: unknown[] = [];
    client.on('monitor', 'temp', (m) => void seen.push(m.data));
    socket().deliver(message({ qos: 2, id: 'q1' }));
    await time.advance(1);
    expect(socket().frames()).toContainEqual({ action: 'pubrec', id: 'q1' });
    socket().deliver(message({ qos: 2, id: 'q1', dup: true })); // our pubrec crossed the server's resend
    socket().deliver({ type: 'pubrel', id: 'q1' });
    socket().deliver({ type: 'pubrel', id: 'q1' });
    await time.advance(100);
    expect(seen).toEqual([21.5]);
    expect(socket().frames().filter((f) => f.action === 'pubrec')).toHaveLength(2);
    expect(socket().frames().filter((f) => f.action === 'msgack')).toEqual([{ action: 'msgack', ids: ['q1'] }]);
  });

  it('QoS 2: a handler that throws gets no pubrec, so the message comes again and runs it again', async () => {
    const { client, time, socket } = await openFakeClient();
    let calls = 0;
    client.on('monitor', 'temp', () => {
      if (++calls === 1) throw new Error('not now');
    });
    socket().deliver(message({ qos: 2, id: 'q1' }));
    await time.advance(1);
    expect(socket().actions()).not.toContain('pubrec');
    socket().deliver(message({ qos: 2, id: 'q1', dup: true }));
    await time.advance(1);
    expect(calls).toBe(2);
    expect(socket().frames()).toContainEqual({ action: 'pubrec', id: 'q1' });
  });

  it('QoS 2: the id is forgotten a while after pubrel (memory does not grow), and a pubrel for an unknown id is still answered', async () => {
    const { client, time, socket } = await openFakeClient({ qos2RememberMs: 1000 });
    client.on('*', '*', () => undefined);
    socket().deliver(message({ qos: 2, id: 'q1' }));
    socket().deliver({ type: 'pubrel', id: 'q1' });
    socket().deliver({ type: 'pubrel', id: 'unknown' });
    await time.advance(100);
    expect(socket().frames().filter((f) => f.action === 'msgack')).toEqual([{ action: 'msgack', ids: ['q1', 'unknown'] }]);
    expect((client as unknown as { inbound: { remembered: number } }).inbound.remembered).toBe(1);
    await time.advance(2000);
    socket().deliver(message({ qos: 2, id: 'q2' }));
    await time.advance(1);
    expect((client as unknown as { inbound: { remembered: number } }).inbound.remembered).toBe(1);
  });

  it('QoS 2 across a restart: a new client on the same file store does not run the handler again for an id it handled before the server had its pubrec', async () => {
    const path = await outboxPath();
    const runs: Array<[string, unknown, boolean]> = [];
    const first = await openFakeClient({ outbox: new FileOutbox(path), session: 'persistent', clientId: 'dev-7' });
    first.client.on('monitor', 'temp', (m) => void runs.push(['first', m.data, m.dup]));
    first.socket().deliver(message({ qos: 2, id: 'q1', data: 'bill' }));
    await waitUntil(() => first.socket().actions().includes('pubrec'), 'the pubrec (written once the id is on disk)');
    expect(runs).toEqual([['first', 'bill', false]]);
    // The process dies here: the pubrec it wrote never reached the server (the connection is
    // simply dropped, nothing closed or flushed), so the server sends the message again.

    const store = new FileOutbox(path);
    const second = await openFakeClient({ outbox: store, session: 'persistent', clientId: 'dev-7' });
    second.client.on('monitor', 'temp', (m) => void runs.push(['second', m.data, m.dup]));
    second.socket().deliver(message({ qos: 2, id: 'q1', data: 'bill', dup: true }));
    await waitUntil(() => second.socket().actions().includes('pubrec'), 'the pubrec');
    expect(runs).toEqual([['first', 'bill', false]]);
    expect(second.socket().frames()).toContainEqual({ action: 'pubrec', id: 'q1' });

    // pubrel completes it: answered, and the id leaves the store (the server never sends the message again).
    second.socket().deliver({ type: 'pubrel', id: 'q1' });
    await second.time.advance(100);
    await waitUntil(() => second.socket().actions().includes('msgack'), 'the msgack');
    expect(second.socket().frames()).toContainEqual({ action: 'msgack', ids: ['q1'] });
    expect(await store.listIncoming()).toEqual([]);
    await second.client.close();
  });

  it('QoS 2: the id is in the store before its pubrec is written, and one whose pubrel never came is dropped from the store when it expires', async () => {
    const store = new MemoryOutbox();
    const { client, time, socket } = await openFakeClient({ outbox: store });
    const storedAtPubrec: unknown[] = [];
    client.events.on('frameOut', (frame) => {
      if (frame.includes('"pubrec"')) void store.getIncoming('q1').then((e) => storedAtPubrec.push(e));
    });
    client.on('*', '*', () => undefined);
    socket().deliver(message({ qos: 2, id: 'q1' }));
    await time.advance(1);
    expect(storedAtPubrec).toEqual([{ id: 'q1', until: time.now() - 1 + 24 * 60 * 60 * 1000 }]);
    await time.advance(24 * 60 * 60 * 1000);
    socket().deliver(message({ qos: 2, id: 'q2' }));
    await time.advance(1);
    expect((await store.listIncoming()).map((e) => e.id)).toEqual(['q2']);
  });

  it('QoS 0 is handed over and never answered; `*` handlers and the message event see everything', async () => {
    const { client, time, socket } = await openFakeClient();
    const byTopic: unknown[] = [];
    const any: unknown[] = [];
    const events: unknown[] = [];
    client.on('monitor', 'temp', (m) => void byTopic.push(m.data));
    client.on('*', '*', (m) => void any.push(m.topic));
    client.events.on('message', (m) => events.push(m.topic));
    socket().deliver({ type: 'message', controller: 'monitor', topic: 'temp', data: 1, qos: 0, dup: false });
    socket().deliver({ type: 'message', controller: 'monitor', topic: 'hum', data: 2, qos: 0, dup: false });
    await time.advance(100);
    expect(byTopic).toEqual([1]);
    expect(any).toEqual(['temp', 'hum']);
    expect(events).toEqual(['temp', 'hum']);
    expect(socket().actions()).toEqual([]);
  });

  it('autoAck off (a monitor watching resends): every arrival is handed over and nothing is answered', async () => {
    const { client, time, socket } = await openFakeClient({ autoAck: false });
    const seen: unknown[] = [];
    client.on('*', '*', (m) => void seen.push([m.id, m.dup]));
    socket().deliver(message({ qos: 2, id: 'q1' }));
    socket().deliver(message({ qos: 2, id: 'q1', dup: true }));
    socket().deliver(message({ qos: 1, id: 'm1' }));
    socket().deliver({ type: 'pubrel', id: 'q1' });
    await time.advance(100);
    expect(seen).toEqual([
      ['q1', false],
      ['q1', true],
      ['m1', false],
    ]);
    expect(socket().actions()).toEqual([]);
  });
});
