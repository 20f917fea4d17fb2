import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, ServerRefusedError } from '../../client/errors.js';
import { frameBytes, MAX_FRAME_BYTES } from '../../client/frame-size.js';
import { MemoryOutbox } from '../../client/memory-outbox.js';
import { DEFAULT_BATCH_BYTES, MAX_BATCH_MESSAGES, splitBatches, type BatchMessage } from '../../client/publish-batch.js';
import { openFakeClient } from './support/client-fixture.js';
import { settle } from './support/fakes.js';

/** Tracks a promise's outcome without awaiting it. */
const track = <T>(promise: Promise<T>) => {
  const state: { settled?: 'resolved' | 'rejected'; error?: unknown } = {};
  promise.then(
    () => (state.settled = 'resolved'),
    (error: unknown) => Object.assign(state, { settled: 'rejected', error }),
  );
  return state;
};

const reading = (i: number, bytes = 10): BatchMessage => ({ controller: 'sensor', topic: `site-1/s${i}`, data: { seq: i, pad: 'x'.repeat(bytes) } });
const readings = (n: number, bytes = 10) => Array.from({ length: n }, (_, i) => reading(i, bytes));

describe('splitBatches (PROTOCOL §2: at most 100 messages, a frame within 32 KB)', () => {
  it('keeps the order, cuts at 100 messages and at the byte budget, and never leaves a batch empty', () => {
    expect(splitBatches(readings(250)).map((b) => b.length)).toEqual([100, 100, 50]);
    expect(splitBatches(readings(250)).flat()).toEqual(readings(250));
    expect(splitBatches(readings(7), 3).map((b) => b.length)).toEqual([3, 3, 1]);
    const big = splitBatches(readings(100, 1000));
    expect(big.length).toBeGreaterThan(1);
    for (const batch of big) {
      const frame = JSON.stringify({ action: 'publish', qos: 2, id: 'x'.repeat(64), dup: false, messages: batch });
      expect(frameBytes(frame)).toBeLessThanOrEqual(DEFAULT_BATCH_BYTES);
    }
    // A message too large to share goes alone.
    expect(splitBatches([reading(0), reading(1, 40_000), reading(2)]).map((b) => b.length)).toEqual([1, 1, 1]);
    expect(splitBatches([])).toEqual([]);
  });
});

describe('publishMany', () => {
  it('QoS 1: one frame, one id, resolved on its one msgack; kept in the outbox as one entry', async () => {
    const outbox = new MemoryOutbox();
    const { client, socket } = await openFakeClient({ outbox });
    const done = track(client.publishMany([{ controller: 'sensor', topic: 'temp', data: 21.5 }, { controller: 'monitor', topic: 'a', data: 'x', retain: true, expiry: 30 }], { qos: 1 }));
    await settle();
    expect(socket().frames()).toEqual([
      { action: 'publish', qos: 1, id: 'c-1', dup: false, messages: [{ controller: 'sensor', topic: 'temp', data: 21.5 }, { controller: 'monitor', topic: 'a', data: 'x', retain: true, expiry: 30 }] },
    ]);
    expect(await outbox.list()).toMatchObject([{ id: 'c-1', awaiting: 'msgack', messages: [{ data: 21.5 }, { data: 'x' }] }]);
    socket().deliver({ type: 'msgack', id: 'c-1', recipients: 2 });
    await settle();
    expect(done.settled).toBe('resolved');
    expect(await outbox.list()).toEqual([]);
  });

  it('over 100 messages: several frames, resolved once every frame is answered', async () => {
    const { client, socket } = await openFakeClient();
    const done = track(client.publishMany(readings(150), { qos: 1 }));
    await settle();
    const frames = socket().frames();
    expect(frames.map((f) => [f.id, (f.messages as unknown[]).length])).toEqual([['c-1', 100], ['c-2', 50]]);
    for (const frame of frames) expect(frameBytes(JSON.stringify(frame))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    socket().deliver({ type: 'msgack', id: 'c-2' });
    await settle();
    expect(done.settled).toBeUndefined();
    socket().deliver({ type: 'msgack', id: 'c-1' });
    await settle();
    expect(done.settled).toBe('resolved');
  });

  it('QoS 1 unanswered: the batch frame is resent whole, with the same id and dup, and after a reconnect', async () => {
    const { client, time, transport } = await openFakeClient({ ackTimeoutMs: 1000 });
    track(client.publishMany(readings(3), { qos: 1 }));
    await settle();
    await time.advance(1000);
    const first = transport.last();
    expect(first.frames().map((f) => [f.id, f.dup, (f.messages as unknown[]).length])).toEqual([['c-1', false, 3], ['c-1', true, 3]]);
    first.serverClose(1006);
    await time.advance(1000);
    transport.last().accept();
    await settle();
    expect(transport.last().frames()).toEqual([{ action: 'publish', qos: 1, id: 'c-1', dup: true, messages: readings(3) }]);
  });

  it('QoS 2: publish until pubrec, then pubrel until msgack, resolved on completion', async () => {
    const { client, socket } = await openFakeClient();
    const done = track(client.publishMany(readings(2), { qos: 2 }));
    await settle();
    socket().deliver({ type: 'pubrec', id: 'c-1' });
    await settle();
    expect(socket().frames().at(-1)).toEqual({ action: 'pubrel', id: 'c-1' });
    expect(done.settled).toBeUndefined();
    socket().deliver({ type: 'msgack', id: 'c-1', recipients: 0 });
    await settle();
    expect(done.settled).toBe('resolved');
  });

  it('QoS 0: written at once, one frame without an id', async () => {
    const { client, socket } = await openFakeClient();
    await client.publishMany(readings(2));
    expect(socket().frames()).toEqual([{ action: 'publish', qos: 0, messages: readings(2) }]);
  });

  it('a refused batch rejects with the server’s code and message; a message over 32 KB alone is refused before anything is sent', async () => {
    const { client, socket } = await openFakeClient();
    const refused = client.publishMany(readings(2), { qos: 1 });
    await settle();
    socket().deliver({ type: 'error', code: 'BAD_REQUEST', message: 'messages[1]: temp must be a number', action: 'publish', id: 'c-1' });
    await expect(refused).rejects.toBeInstanceOf(ServerRefusedError);
    const sent = socket().sent.length;
    await expect(client.publishMany([reading(0, 40_000)], { qos: 1 })).rejects.toBeInstanceOf(FrameTooLargeError);
    expect(socket().sent).toHaveLength(sent);
  });
});

describe('the batch option: publish() calls coalesce into batched frames', () => {
  it('sends a frame maxDelayMs after its first message, each caller resolved by that frame’s msgack', async () => {
    const { client, time, socket } = await openFakeClient({ batch: { maxDelayMs: 50 } });
    const a = track(client.publish('sensor', 'temp', 1, { qos: 1 }));
    const b = track(client.publish('monitor', 'x', 2, { qos: 1, retain: true }));
    await settle();
    expect(socket().sent).toEqual([]);
    await time.advance(50);
    expect(socket().frames()).toEqual([{ action: 'publish', qos: 1, id: 'c-1', dup: false, messages: [{ controller: 'sensor', topic: 'temp', data: 1 }, { controller: 'monitor', topic: 'x', data: 2, retain: true }] }]);
    expect([a.settled, b.settled]).toEqual([undefined, undefined]);
    socket().deliver({ type: 'msgack', id: 'c-1' });
    await settle();
    expect([a.settled, b.settled]).toEqual(['resolved', 'resolved']);
  });

  it('sends at maxMessages without waiting, one frame per QoS', async () => {
    const { client, socket } = await openFakeClient({ batch: { maxMessages: 3, maxDelayMs: 10_000 } });
    for (let i = 0; i < 3; i++) track(client.publish('sensor', 'temp', i, { qos: 1 }));
    track(client.publish('sensor', 'temp', 'q2', { qos: 2 }));
    await settle();
    expect(socket().frames().map((f) => [f.qos, (f.messages as Array<{ data: unknown }>).map((m) => m.data)])).toEqual([[1, [0, 1, 2]]]);
    client.flushBatch();
    await settle();
    expect(socket().frames().map((f) => [f.qos, (f.messages as Array<{ data: unknown }>).map((m) => m.data)])).toEqual([[1, [0, 1, 2]], [2, ['q2']]]);
  });

  it('sends what is queued before a message that would take the frame over maxBytes', async () => {
    const { client, socket } = await openFakeClient({ batch: { maxBytes: 2000, maxDelayMs: 10_000 } });
    const pad = 'x'.repeat(700);
    for (let i = 0; i < 5; i++) track(client.publish('sensor', 'temp', { i, pad }, { qos: 1 }));
    await settle();
    const sizes = socket().frames().map((f) => (f.messages as unknown[]).length);
    expect(sizes).toEqual([2, 2]);
    for (const raw of socket().sent) expect(frameBytes(raw)).toBeLessThanOrEqual(2000);
  });

  it('a refusal of the frame rejects every caller in it', async () => {
    const { client, time, socket } = await openFakeClient({ batch: { maxDelayMs: 5 } });
    const a = track(client.publish('sensor', 'temp', 'hot', { qos: 1 }));
    const b = track(client.publish('sensor', 'temp', 20, { qos: 1 }));
    await time.advance(5);
    socket().deliver({ type: 'error', code: 'BAD_REQUEST', message: 'messages[0]: temp must be a number', action: 'publish', id: 'c-1' });
    await settle();
    expect([a.settled, b.settled]).toEqual(['rejected', 'rejected']);
    expect(a.error).toMatchObject({ code: 'BAD_REQUEST', message: 'messages[0]: temp must be a number' });
  });

  it('close() rejects what is still queued, and sends none of it', async () => {
    const { client, socket } = await openFakeClient({ batch: { maxDelayMs: 10_000 } });
    const queued = track(client.publish('sensor', 'temp', 1, { qos: 1 }));
    await client.close();
    await settle();
    expect(queued.settled).toBe('rejected');
    expect(socket().actions()).toEqual(['disconnect']);
  });

  it('QoS 0 publishes batch too, resolved once their frame is written', async () => {
    const { client, time, socket } = await openFakeClient({ batch: { maxDelayMs: 5 } });
    const a = track(client.publish('monitor', 'a', 1));
    const b = track(client.publish('monitor', 'b', 2));
    await time.advance(5);
    await settle();
    expect(socket().frames()).toEqual([{ action: 'publish', qos: 0, messages: [{ controller: 'monitor', topic: 'a', data: 1 }, { controller: 'monitor', topic: 'b', data: 2 }] }]);
    expect([a.settled, b.settled]).toEqual(['resolved', 'resolved']);
  });
});

it('MAX_BATCH_MESSAGES is the server’s', async () => {
  const { MAX_BATCH_MESSAGES: server } = await import('../../lambdas/core/types.js');
  expect(MAX_BATCH_MESSAGES).toBe(server);
});
