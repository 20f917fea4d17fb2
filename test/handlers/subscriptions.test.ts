import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

describe('pub/sub and retained values', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('grants min(asked, claimed) and publishes to subscribers at min(asked, claimed, granted)', async () => {
    const sub = await h.client({ qos: '1' });
    await h.send(sub, { action: 'subscribe', controller: 'monitor', topic: 'news', qos: 2 });
    expect(h.frames(sub)).toEqual([{ type: 'suback', controller: 'monitor', topic: 'news', qos: 1 }]);
    const pub = await h.client({ qos: '2' });
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'news', data: 'hello', qos: 2, id: 'n1' });
    await h.send(pub, { action: 'pubrel', id: 'n1' });
    expect(h.messages(sub)).toEqual([expect.objectContaining({ data: 'hello', qos: 1 })]);
  });

  it('does not reach connections that only have the controller open (that is invokeToAll)', async () => {
    const opened = await h.client({ controllers: 'monitor', qos: '1' });
    const pub = await h.client();
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'quiet', data: 1 });
    expect(h.messages(opened)).toEqual([]);
  });

  it('unsubscribe stops delivery and answers unsuback', async () => {
    const sub = await h.client({ qos: '1' });
    await h.send(sub, 'monitor|subscribe|weather');
    await h.send(sub, { action: 'unsubscribe', controller: 'monitor', topic: 'weather' });
    expect(h.frames(sub).at(-1)).toEqual({ type: 'unsuback', controller: 'monitor', topic: 'weather' });
    const pub = await h.client();
    await h.send(pub, 'monitor|weather|"rain"');
    expect(h.messages(sub)).toEqual([]);
  });

  it('keeps the last retained value and gives it to a new subscriber at once, retained: true, at the subscription QoS', async () => {
    const pub = await h.client();
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'level', data: 1, retain: true });
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'level', data: 2, retain: true });
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'level', data: 3 });
    const late = await h.client({ qos: '1' });
    await h.send(late, { action: 'subscribe', controller: 'monitor', topic: 'level', qos: 1 });
    expect(h.frames(late)).toEqual([
      { type: 'suback', controller: 'monitor', topic: 'level', qos: 1 },
      expect.objectContaining({ type: 'message', data: 2, qos: 1, retained: true, dup: false }),
    ]);
    expect(await h.pendingOf(late)).toHaveLength(1);
  });

  it('an empty retained publish clears the value', async () => {
    const pub = await h.client();
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'gone', data: 'x', retain: true });
    await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'gone', data: '', retain: true });
    const late = await h.client();
    await h.send(late, { action: 'subscribe', controller: 'monitor', topic: 'gone' });
    expect(h.messages(late)).toEqual([]);
  });

  it('text-format clients get controller|topic|data|qos|id', async () => {
    const textMonitor = await h.client({ controllers: 'monitor', qos: '1', format: 'text' });
    const sensor = await h.client();
    await h.send(sensor, 'sensor|temp|25.3');
    const raw = h.raw(textMonitor);
    expect(raw).toHaveLength(1);
    // The id: the time in base 36, 8 digits, the QoS 1 mark (core/delivery.ts recipientId), text-frame safe.
    expect(raw[0]).toMatch(/^monitor\|temp\|25\.3\|1\|[0-9a-z]+[0-9a-f]{8}:1$/);
  });
});
