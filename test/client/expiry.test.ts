import { describe, expect, it } from 'vitest';
import { MessageExpiredError } from '../../client/errors.js';
import type { InboundMessage } from '../../client/handlers.js';
import { MemoryOutbox } from '../../client/memory-outbox.js';
import { openFakeClient } from './support/client-fixture.js';
import { settle } from './support/fakes.js';

/** PROTOCOL §4 per-message expiry in the client library: `publish(..., { expiry })`, and `expiry` on messages. */
describe('the client and per-message expiry', () => {
  it('QoS 0: the publish frame carries expiry as given', async () => {
    const { client, socket } = await openFakeClient();
    await client.publish('sensor', 'temp', 21.5, { expiry: 30 });
    expect(socket().frames()).toEqual([{ action: 'publish', controller: 'sensor', topic: 'temp', data: 21.5, qos: 0, expiry: 30 }]);
  });

  it('QoS 1: sent with its expiry, resent with the whole seconds it has left, never longer', async () => {
    const outbox = new MemoryOutbox();
    const { client, time, socket } = await openFakeClient({ outbox, ackTimeoutMs: 1000, resendCapMs: 1000 });
    void client.publish('sensor', 'temp', 1, { qos: 1, expiry: 3 }).catch(() => undefined);
    await settle();
    expect(socket().frames()).toEqual([{ action: 'publish', controller: 'sensor', topic: 'temp', data: 1, qos: 1, id: 'c-1', dup: false, expiry: 3 }]);
    expect(await outbox.get('c-1')).toMatchObject({ expiry: 3 });
    await time.advance(1000);
    expect(socket().frames().at(-1)).toMatchObject({ id: 'c-1', dup: true, expiry: 2 });
  });

  it('QoS 1: once its time ran out unanswered it is dropped, not sent again, and the publish rejects with MessageExpiredError', async () => {
    const outbox = new MemoryOutbox();
    const { client, time, socket } = await openFakeClient({ outbox, ackTimeoutMs: 1000, resendCapMs: 1000 });
    let failure: unknown;
    const done = client.publish('sensor', 'temp', 1, { qos: 1, expiry: 2 }).catch((error: unknown) => (failure = error));
    await settle();
    await time.advance(1000);
    await time.advance(1000);
    await done;
    expect(failure).toBeInstanceOf(MessageExpiredError);
    expect(failure).toMatchObject({ code: 'MESSAGE_EXPIRED', id: 'c-1' });
    expect(socket().frames().filter((f) => f.action === 'publish')).toHaveLength(2);
    expect(await outbox.list()).toEqual([]);
  });

  it('QoS 2 after pubrec: pubrel goes on past the expiry (the server holds the message; it decides)', async () => {
    const { client, time, socket } = await openFakeClient({ ackTimeoutMs: 1000, resendCapMs: 1000 });
    const done = client.publish('monitor', 'billing', 1, { qos: 2, expiry: 1 });
    await settle();
    socket().deliver({ type: 'pubrec', id: 'c-1' });
    await settle();
    await time.advance(2000);
    expect(socket().frames().filter((f) => f.action === 'pubrel').length).toBeGreaterThanOrEqual(2);
    socket().deliver({ type: 'msgack', id: 'c-1' });
    await expect(done).resolves.toBeUndefined();
  });

  it('a message event carries the seconds the message had left; one without expiry has none', async () => {
    const { client, time, socket } = await openFakeClient();
    const seen: InboundMessage[] = [];
    client.on('monitor', '*', (m) => void seen.push(m));
    socket().deliver({ type: 'message', controller: 'monitor', topic: 'temp', data: 1, qos: 0, dup: false, expiry: 17 });
    socket().deliver({ type: 'message', controller: 'monitor', topic: 'temp', data: 2, qos: 0, dup: false });
    await time.advance(100);
    expect(seen.map((m) => m.expiry)).toEqual([17, undefined]);
    expect(seen[1]).not.toHaveProperty('expiry');
  });
});
