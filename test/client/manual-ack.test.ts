import { describe, expect, it } from 'vitest';
import { ClientClosedError } from '../../client/errors.js';
import { openFakeClient } from './support/client-fixture.js';
import { settle } from './support/fakes.js';

const message = (id: string, dup = false) => ({ type: 'message', controller: 'monitor', topic: 'temp', data: 21.5, qos: 1, id, dup }) as const;

describe('client.ack(id): acking by hand with autoAck off (the dashboard monitor)', () => {
  it('nothing is acked until ack(id) is called; then one msgack, coalesced like the automatic ones', async () => {
    const { client, time, socket } = await openFakeClient({ autoAck: false, ackBatchMs: 25 });
    client.on('*', '*', () => undefined);
    socket().deliver(message('m1'));
    socket().deliver(message('m2'));
    socket().deliver(message('m1', true));
    await time.advance(100);
    expect(socket().frames()).toEqual([]);

    client.ack('m1');
    client.ack('m2');
    client.ack('m1');
    await time.advance(25);
    expect(socket().frames()).toEqual([{ action: 'msgack', ids: ['m1', 'm2'] }]);
    await client.close();
  });

  it('an ack while disconnected is sent first on the next open', async () => {
    const { client, time, transport } = await openFakeClient({ autoAck: false, ackBatchMs: 25 });
    transport.last().serverClose(1006);
    client.ack('m1');
    await time.advance(1000);
    transport.last().accept();
    await settle();
    expect(transport.last().frames()).toEqual([{ action: 'msgack', ids: ['m1'] }]);
    await client.close();
  });

  it('throws ClientClosedError after close', async () => {
    const { client } = await openFakeClient({ autoAck: false });
    await client.close();
    expect(() => client.ack('m1')).toThrow(ClientClosedError);
  });
});
