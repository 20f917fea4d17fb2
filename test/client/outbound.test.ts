import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, ServerRefusedError } from '../../client/errors.js';
import { frameBytes, MAX_FRAME_BYTES } from '../../client/frame-size.js';
import { MemoryOutbox } from '../../client/memory-outbox.js';
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

describe('the client publishing (PROTOCOL §4, client to server)', () => {
  it('QoS 1: kept in the outbox, resent with the same id and dup after the ack timeout (doubling), resolved on msgack', async () => {
    const outbox = new MemoryOutbox();
    const { client, time, socket } = await openFakeClient({ outbox, ackTimeoutMs: 1000, resendCapMs: 3000 });
    const done = track(client.publish('sensor', 'temp', 21.5, { qos: 1 }));
    await settle();
    expect(socket().frames()).toEqual([{ action: 'publish', controller: 'sensor', topic: 'temp', data: 21.5, qos: 1, id: 'c-1', dup: false }]);
    expect(await outbox.list()).toMatchObject([{ id: 'c-1', awaiting: 'msgack' }]);
    await time.advance(1000);
    await time.advance(2000);
    await time.advance(3000);
    await time.advance(3000);
    expect(socket().frames().map((f) => [f.id, f.dup])).toEqual([
      ['c-1', false],
      ['c-1', true],
      ['c-1', true],
      ['c-1', true],
      ['c-1', true],
    ]);
    socket().deliver({ type: 'msgack', id: 'c-1' });
    await settle();
    expect(done.settled).toBe('resolved');
    expect(await outbox.list()).toEqual([]);
    await time.advance(10_000);
    expect(socket().sent).toHaveLength(5);
  });

  it('QoS 2: publish until pubrec, then pubrel until msgack; a repeated pubrec gets pubrel again; resolves once', async () => {
    const outbox = new MemoryOutbox();
    const { client, time, socket } = await openFakeClient({ outbox, ackTimeoutMs: 1000 });
    const done = track(client.publish('monitor', 'billing', { cents: 995 }, { qos: 2, retain: true }));
    await settle();
    expect(socket().frames()).toEqual([{ action: 'publish', controller: 'monitor', topic: 'billing', data: { cents: 995 }, qos: 2, id: 'c-1', retain: true, dup: false }]);
    socket().deliver({ type: 'pubrec', id: 'c-1' });
    await settle();
    expect(await outbox.get('c-1')).toMatchObject({ awaiting: 'completion' });
    expect(socket().frames().at(-1)).toEqual({ action: 'pubrel', id: 'c-1' });
    await time.advance(1000);
    expect(socket().frames().at(-1)).toEqual({ action: 'pubrel', id: 'c-1' });
    expect(socket().frames().filter((f) => f.action === 'publish')).toHaveLength(1); // never the publish again after pubrec
    socket().deliver({ type: 'pubrec', id: 'c-1' });
    await settle();
    expect(socket().frames().filter((f) => f.action === 'pubrel')).toHaveLength(3);
    expect(done.settled).toBeUndefined();
    socket().deliver({ type: 'msgack', id: 'c-1' });
    socket().deliver({ type: 'msgack', id: 'c-1' });
    await settle();
    expect(done.settled).toBe('resolved');
    expect(await outbox.list()).toEqual([]);
  });

  it('after a reconnect: every unanswered publish again with its id and dup, and pubrel for those pubrec-ed', async () => {
    const { client, time, transport } = await openFakeClient({ ackTimeoutMs: 60_000 });
    const one = track(client.publish('sensor', 'temp', 1, { qos: 1 }));
    const two = track(client.publish('sensor', 'temp', 2, { qos: 2 }));
    await settle();
    const first = transport.last();
    first.deliver({ type: 'pubrec', id: 'c-2' });
    await settle();
    first.serverClose(1006);
    await time.advance(1000);
    const second = transport.last();
    expect(second).not.toBe(first);
    second.accept();
    await settle();
    expect(second.frames()).toEqual([
      { action: 'publish', controller: 'sensor', topic: 'temp', data: 1, qos: 1, id: 'c-1', dup: true },
      { action: 'pubrel', id: 'c-2' },
    ]);
    second.deliver({ type: 'msgack', id: 'c-1' });
    second.deliver({ type: 'msgack', id: 'c-2' });
    await settle();
    expect([one.settled, two.settled]).toEqual(['resolved', 'resolved']);
  });

  it('a publish made while disconnected goes out, not as a dup, when the connection is back', async () => {
    const { client, time, transport } = await openFakeClient();
    transport.last().serverClose(1001);
    const done = track(client.publish('sensor', 'temp', 3, { qos: 1 }));
    const zero = track(client.publish('sensor', 'temp', 4));
    await time.advance(1000);
    transport.last().accept();
    await settle();
    expect(transport.last().frames().map((f) => [f.data, f.dup])).toEqual([
      [3, false],
      [4, undefined],
    ]);
    expect(zero.settled).toBe('resolved');
    transport.last().deliver({ type: 'msgack', id: 'c-1' });
    await settle();
    expect(done.settled).toBe('resolved');
  });

  it('an error frame naming the id rejects that publish with the server code, and drops it from the outbox', async () => {
    const outbox = new MemoryOutbox();
    const { client, socket } = await openFakeClient({ outbox });
    const refused = client.publish('sensor', 'temp', 'hot', { qos: 2 });
    const other = track(client.publish('sensor', 'temp', 20, { qos: 1 }));
    await settle();
    socket().deliver({ type: 'error', code: 'BAD_REQUEST', message: 'temp must be a number', action: 'publish', id: 'c-1' });
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerRefusedError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: 'temp must be a number', action: 'publish', id: 'c-1' });
    expect((await outbox.list()).map((e) => e.id)).toEqual(['c-2']);
    expect(other.settled).toBeUndefined();
  });

  it('INTERNAL is retried, not rejected: the resend timer sends it again', async () => {
    const { client, time, socket } = await openFakeClient({ ackTimeoutMs: 500 });
    const done = track(client.publish('sensor', 'temp', 20, { qos: 1 }));
    await settle();
    socket().deliver({ type: 'error', code: 'INTERNAL', message: 'internal error', action: 'publish', id: 'c-1' });
    await time.advance(500);
    expect(socket().frames().map((f) => f.dup)).toEqual([false, true]);
    expect(done.settled).toBeUndefined();
  });

  it('what an earlier run left in a persistent outbox is sent on the first open, as a dup', async () => {
    const outbox = new MemoryOutbox();
    await outbox.put({ id: 'old-1', controller: 'sensor', topic: 'temp', data: 9, qos: 1, retain: false, awaiting: 'msgack', createdAt: 1 });
    await outbox.put({ id: 'old-2', controller: 'sensor', topic: 'temp', data: 9, qos: 2, retain: false, awaiting: 'completion', createdAt: 2 });
    const { socket } = await openFakeClient({ outbox });
    expect(socket().frames()).toEqual([
      { action: 'publish', controller: 'sensor', topic: 'temp', data: 9, qos: 1, id: 'old-1', dup: true },
      { action: 'pubrel', id: 'old-2' },
    ]);
    socket().deliver({ type: 'msgack', id: 'old-1' });
    socket().deliver({ type: 'msgack', id: 'old-2' });
    await settle();
    expect(await outbox.list()).toEqual([]);
  });

  it('close() rejects what is unanswered but keeps it in the outbox for a later run', async () => {
    const outbox = new MemoryOutbox();
    const { client } = await openFakeClient({ outbox });
    const pending = client.publish('sensor', 'temp', 1, { qos: 1 });
    await settle();
    await client.close();
    await expect(pending).rejects.toMatchObject({ name: 'ClientClosedError', code: 'CLIENT_CLOSED' });
    expect(await outbox.list()).toHaveLength(1);
    await expect(client.publish('sensor', 'temp', 1)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  describe('frames over API Gateway\'s 32 KB (a close 1009, not an error frame)', () => {
    /** Data making a QoS 1 publish frame of exactly `bytes` bytes as first sent (`dup: false`; ids c-N). QoS 0 frames are shorter (no id, no dup). */
    const dataFor = (bytes: number): string => {
      const envelope = frameBytes(JSON.stringify({ action: 'publish', controller: 'sensor', topic: 'temp', data: '', qos: 1, id: 'c-1', dup: false }));
      return 'x'.repeat(bytes - envelope);
    };

    it('refuses before sending or storing, at every QoS, with an error naming the limit; a frame of exactly 32,768 bytes goes', async () => {
      const outbox = new MemoryOutbox();
      const { client, socket } = await openFakeClient({ outbox });
      for (const qos of [0, 1, 2] as const) {
        const error = await client.publish('sensor', 'temp', dataFor(MAX_FRAME_BYTES + (qos === 0 ? 100 : 1)), { qos }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FrameTooLargeError);
        expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE', limit: 32_768, message: expect.stringContaining('over 32768 bytes (32 KB)') });
      }
      expect(socket().sent).toEqual([]);
      expect(await outbox.list()).toEqual([]);
      const fits = track(client.publish('sensor', 'temp', dataFor(MAX_FRAME_BYTES), { qos: 1 }));
      await settle();
      expect(socket().sent.map(frameBytes)).toEqual([MAX_FRAME_BYTES]);
      socket().deliver({ type: 'msgack', id: 'c-3' });
      await settle();
      expect(fits.settled).toBe('resolved');
      expect(client.connected).toBe(true);
    });

    it('counts UTF-8 bytes, not characters', async () => {
      const { client, socket } = await openFakeClient();
      // 11,000 euro signs: 11,000 characters but 33,000 bytes.
      await expect(client.publish('sensor', 'temp', '€'.repeat(11_000))).rejects.toBeInstanceOf(FrameTooLargeError);
      expect(socket().sent).toEqual([]);
      expect(frameBytes('€😀a')).toBe(3 + 4 + 1);
    });

    it('a close 1009 blames only a publish the server has not read: one already pubrec-ed is not failed', async () => {
      const outbox = new MemoryOutbox();
      const { client, socket, errors } = await openFakeClient({ outbox });
      const big = track(client.publish('monitor', 'billing', 'x'.repeat(20_000), { qos: 2 }));
      await settle();
      socket().deliver({ type: 'pubrec', id: 'c-1' });
      await settle();
      socket().serverClose(1009, 'Frame size exceeds 32 KB limit');
      await settle();
      expect(big.settled).toBeUndefined();
      expect(await outbox.get('c-1')).toMatchObject({ awaiting: 'completion' });
      expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('closed the connection with 1009')]);
    });

    it('a publish answered by a close 1009 is failed, not resent after the reconnect', async () => {
      const outbox = new MemoryOutbox();
      const { client, time, socket, transport } = await openFakeClient({ outbox });
      const small = track(client.publish('sensor', 'temp', 1, { qos: 1 }));
      const big = track(client.publish('sensor', 'temp', 'x'.repeat(20_000), { qos: 1 }));
      await settle();
      expect(socket().frames().map((f) => f.id)).toEqual(['c-1', 'c-2']);
      socket().serverClose(1009, 'Frame size exceeds 32 KB limit'); // a gateway with a lower limit than ours
      await settle();
      expect(big.settled).toBe('rejected');
      expect(big.error).toBeInstanceOf(FrameTooLargeError);
      expect((big.error as Error).message).toContain('closed the connection with 1009 (Frame size exceeds 32 KB limit)');
      expect((await outbox.list()).map((e) => e.id)).toEqual(['c-1']);
      await time.advance(1000);
      transport.last().accept();
      await settle();
      expect(transport.sockets).toHaveLength(2);
      expect(transport.last().frames().map((f) => f.id)).toEqual(['c-1']); // the small one again; the big one never
      expect(small.settled).toBeUndefined();
    });
  });
});
