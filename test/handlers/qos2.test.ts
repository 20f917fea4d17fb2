import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

describe('QoS 2 from clients: exactly once (PROTOCOL §4, method A)', () => {
  let h: Harness;
  let publisher: string;
  let subscriber: string;

  beforeAll(async () => {
    h = await Harness.start();
    publisher = await h.client({ qos: '2', clientId: 'pub-1' });
    subscriber = await h.client({ qos: '2' });
    await h.send(subscriber, { action: 'subscribe', controller: 'monitor', topic: 'billing', qos: 2 });
  });
  afterAll(() => h.close());

  const charge = { action: 'publish', controller: 'monitor', topic: 'billing', data: { cents: 995 }, qos: 2, id: 'c-1' };

  it('stores the publish and answers pubrec, handing nothing on yet', async () => {
    await h.send(publisher, charge);
    expect(h.frames(publisher)).toEqual([{ type: 'pubrec', id: 'c-1' }]);
    expect(h.messages(subscriber)).toEqual([]);
  });

  it('answers a repeated publish with pubrec again and stores it once', async () => {
    await h.send(publisher, { ...charge, dup: true });
    await h.send(publisher, { ...charge, dup: true, data: { cents: 1 } });
    expect(h.frames(publisher).filter((f) => f.type === 'pubrec')).toHaveLength(3);
    expect(h.messages(subscriber)).toEqual([]);
  });

  it('hands it on exactly once at pubrel, with the first data, and answers msgack', async () => {
    await h.send(publisher, { action: 'pubrel', id: 'c-1' });
    expect(h.messages(subscriber)).toEqual([expect.objectContaining({ data: { cents: 995 }, qos: 2, dup: false })]);
    expect(h.frames(publisher).at(-1)).toEqual({ type: 'msgack', id: 'c-1', recipients: 1 });
  });

  it('answers a repeated pubrel with msgack and hands nothing on', async () => {
    await h.send(publisher, { action: 'pubrel', id: 'c-1' });
    await h.send(publisher, 'monitor|pubrel|c-1');
    expect(h.messages(subscriber)).toHaveLength(1);
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toHaveLength(3);
  });

  it('a repeated publish after completion starts a new message (the id is free again)', async () => {
    await h.send(publisher, charge);
    await h.send(publisher, { action: 'pubrel', id: 'c-1' });
    expect(h.messages(subscriber)).toHaveLength(2);
    const [first, second] = h.messages(subscriber);
    expect(first?.id).not.toBe(second?.id);
  });
});

describe('QoS 2 toward clients', () => {
  let h: Harness;
  let monitor: string;
  let id: string;

  beforeAll(async () => {
    h = await Harness.start();
    const sender = await h.client({ qos: '2' });
    monitor = await h.client({ qos: '2' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 'orders', qos: 2 });
    await h.send(sender, { action: 'publish', controller: 'monitor', topic: 'orders', data: 'order-42', qos: 2, id: 'o1' });
    await h.send(sender, { action: 'pubrel', id: 'o1' });
    id = h.messages(monitor)[0]?.id as string;
  });
  afterAll(() => h.close());

  it('resends the message itself until pubrec', async () => {
    expect(id).toBeTruthy();
    h.clock.advance(10_000);
    await h.sweep();
    expect(h.messages(monitor).map((m) => m.dup)).toEqual([false, true]);
  });

  it('msgack before pubrec is out of order: an error, and nothing changes', async () => {
    await h.send(monitor, { action: 'msgack', id });
    expect(h.frames(monitor).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'msgack', id });
    expect(await h.pendingOf(monitor)).toHaveLength(1);
  });

  it('answers pubrec with pubrel, then resends pubrel (never the message) until msgack', async () => {
    await h.send(monitor, { action: 'pubrec', id });
    expect(h.frames(monitor).at(-1)).toEqual({ type: 'pubrel', id });
    const messagesBefore = h.messages(monitor).length;
    h.clock.advance(10_000);
    await h.sweep();
    h.clock.advance(20_000);
    await h.sweep();
    expect(h.messages(monitor)).toHaveLength(messagesBefore);
    expect(h.frames(monitor).filter((f) => f.type === 'pubrel')).toHaveLength(3);
    // A repeated pubrec is answered pubrel again and changes nothing.
    await h.send(monitor, `monitor|pubrec|${id}`);
    expect(h.frames(monitor).filter((f) => f.type === 'pubrel')).toHaveLength(4);
  });

  it('completes on msgack and sends nothing more', async () => {
    await h.send(monitor, `monitor|msgack|${id}`);
    expect(await h.pendingOf(monitor)).toEqual([]);
    const count = h.frames(monitor).length;
    h.clock.advance(3_600_000);
    expect((await h.sweep()).due).toBe(0);
    expect(h.frames(monitor)).toHaveLength(count);
  });

  it('a pubrec for a QoS 1 message is refused and changes nothing', async () => {
    const sensor = await h.client();
    const m1 = await h.client({ controllers: 'monitor', qos: '2' });
    await h.send(sensor, 'sensor|temp|20');
    const qos1 = h.messages(m1)[0];
    expect(qos1?.qos).toBe(1);
    await h.send(m1, { action: 'pubrec', id: qos1?.id });
    expect(h.frames(m1).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'pubrec' });
    expect(await h.pendingOf(m1)).toMatchObject([{ state: 'sent', qos: 1 }]);
  });
});
