import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

/** PROTOCOL §8 at the subscribe handler: suback echoes the filter; retained values of every matching topic follow. */
describe('subscribing to a topic filter', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('sends the retained value of every topic the filter matches, each under its concrete topic, and none other', async () => {
    h = await Harness.start();
    const publisher = await h.client({ qos: '1' });
    for (const [topic, data] of [
      ['site-1/boiler/temp', 60],
      ['site-1/pump/temp', 20],
      ['site-1/pump/humidity', 40],
      ['site-10/boiler/temp', 99],
    ] as const) {
      await h.send(publisher, { action: 'publish', controller: 'monitor', topic, data, qos: 1, id: topic, retain: true });
    }
    const sub = await h.client({ qos: '1' });
    await h.send(sub, { action: 'subscribe', controller: 'monitor', topic: 'site-1/+/temp', qos: 1 });
    expect(h.frames(sub)[0]).toEqual({ type: 'suback', controller: 'monitor', topic: 'site-1/+/temp', qos: 1 });
    const messages = h.messages(sub).map((m) => [m.topic, m.data, m.retained, m.qos]);
    expect(messages.sort()).toEqual([
      ['site-1/boiler/temp', 60, true, 1],
      ['site-1/pump/temp', 20, true, 1],
    ]);
  });

  it('refuses a bad filter naming the rule, and the session’s subscriptions stay as they were', async () => {
    h = await Harness.start();
    const sub = await h.client({ qos: '1' });
    await h.send(sub, { action: 'subscribe', controller: 'monitor', topic: 'site-1/#', qos: 1 });
    await h.send(sub, { action: 'subscribe', controller: 'monitor', topic: 'a/#/b', qos: 1 });
    expect(h.frames(sub).at(-1)).toEqual({ type: 'error', code: 'BAD_REQUEST', message: '# must be the last level', action: 'subscribe' });
    const publisher = await h.client({ qos: '1' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'site-1/x', data: 1, qos: 1, id: 'p' });
    expect(h.messages(sub)).toMatchObject([{ topic: 'site-1/x', data: 1 }]);
  });
});
