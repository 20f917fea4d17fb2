import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/** Issue 12 point 15: the server's msgack for a client publish says how many it was handed to. */
describe('msgack `recipients`', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('is 0 when nobody received a QoS 1 or QoS 2 publish', async () => {
    const publisher = await h.client({ qos: '2' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'nobody', data: 1, qos: 1, id: 'a' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'nobody', data: 2, qos: 2, id: 'b' });
    await h.send(publisher, { action: 'pubrel', id: 'b' });
    expect(h.frames(publisher)).toEqual([
      { type: 'msgack', id: 'a', recipients: 0 },
      { type: 'pubrec', id: 'b' },
      { type: 'msgack', id: 'b', recipients: 0 },
    ]);
  });

  it('counts every recipient handed to, an away persistent session at QoS 1 too, but not one a QoS 0 copy was dropped for', async () => {
    const publisher = await h.client({ qos: '1' });
    const online = await h.client({ qos: '1' });
    const cheap = await h.client({ qos: '0' });
    const away = await h.client({ qos: '1', clientId: 'away-1', session: 'persistent' });
    const awayCheap = await h.client({ qos: '0', clientId: 'away-0', session: 'persistent' });
    for (const s of [online, cheap, away, awayCheap]) await h.send(s, { action: 'subscribe', controller: 'monitor', topic: 'count', qos: 1 });
    await h.disconnect(away);
    await h.disconnect(awayCheap);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'count', data: 'x', qos: 1, id: 'c' });
    expect(h.frames(publisher)).toEqual([{ type: 'msgack', id: 'c', recipients: 3 }]);
  });

  it('is absent on a pubrel after completion: the count is not known any more', async () => {
    const publisher = await h.client({ qos: '2' });
    await h.send(publisher, { action: 'pubrel', id: 'done-long-ago' });
    expect(h.frames(publisher)).toEqual([{ type: 'msgack', id: 'done-long-ago' }]);
  });
});
