import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, ManualClock } from '../support/harness.js';

/** The first server id a harness hands out: its start time in base 36, a counter, the QoS 1 mark (core/delivery.ts recipientId). */
const FIRST_ID = `${new ManualClock().now().toString(36)}00000001:1`;

/**
 * The seed's scenario (XSockets "QoS - Server Sample"): one sensor, two monitors, only one of
 * which claims QoS. The sensor's temp goes to every monitor at AtLeastOnce.
 */
describe('QoS 1 toward clients: the seed scenario', () => {
  let h: Harness;
  let sensor: string;
  let qosMonitor: string;
  let plainMonitor: string;

  beforeAll(async () => {
    h = await Harness.start();
    sensor = await h.client({ controllers: 'sensor' });
    qosMonitor = await h.client({ controllers: 'monitor', qos: '1' });
    plainMonitor = await h.client({ controllers: 'monitor' });
    await h.send(sensor, 'sensor|temp|25.3');
  });
  afterAll(() => h.close());

  it('sends the QoS client the temp with an id, not yet a dup', () => {
    expect(h.messages(qosMonitor)).toEqual([{ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: FIRST_ID, dup: false }]);
  });

  it('sends the client that claimed nothing the temp once, QoS 0, with no id, and stores nothing for it', async () => {
    expect(h.messages(plainMonitor)).toEqual([{ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 0, dup: false }]);
    expect(await h.pendingOf(plainMonitor)).toEqual([]);
  });

  it('sends the sensor nothing back for its QoS 0 text frame', () => {
    expect(h.frames(sensor)).toEqual([]);
  });

  it('resends nothing before the ack timeout', async () => {
    h.clock.advance(9_999);
    expect((await h.sweep()).resent).toBe(0);
    expect(h.messages(qosMonitor)).toHaveLength(1);
  });

  it('resends with dup: true after the ack timeout, and again after the doubled wait', async () => {
    h.clock.advance(1);
    expect((await h.sweep()).resent).toBe(1);
    h.clock.advance(19_999);
    expect((await h.sweep()).resent).toBe(0);
    h.clock.advance(1);
    expect((await h.sweep()).resent).toBe(1);
    const messages = h.messages(qosMonitor);
    expect(messages).toHaveLength(3);
    expect(messages.slice(1).every((m) => m.dup === true && m.id === FIRST_ID && m.data === 25.3)).toBe(true);
    expect(h.messages(plainMonitor)).toHaveLength(1);
  });

  it('stops for good once the client types monitor|msgack|<its id>', async () => {
    await h.send(qosMonitor, `monitor|msgack|${FIRST_ID}`);
    expect(await h.pendingOf(qosMonitor)).toEqual([]);
    for (let i = 0; i < 5; i += 1) {
      h.clock.advance(600_000);
      expect((await h.sweep()).due).toBe(0);
    }
    expect(h.messages(qosMonitor)).toHaveLength(3);
    // msgack is silent: no error, no answer.
    expect(h.frames(qosMonitor).filter((f) => f.type !== 'message')).toEqual([]);
  });
});

describe('QoS 1 from clients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('answers msgack only after the message is handed on, and a JSON publish works like the text one', async () => {
    const sensor = await h.client({ qos: '1' });
    const monitor = await h.client({ controllers: 'monitor', qos: '2' });
    await h.send(sensor, { action: 'publish', controller: 'sensor', topic: 'temp', data: 21.5, qos: 1, id: 'c-1' });
    expect(h.frames(sensor)).toEqual([{ type: 'msgack', id: 'c-1', recipients: 1 }]);
    // The monitor claimed 2 but the controller asked AtLeastOnce: min is 1.
    expect(h.messages(monitor)).toEqual([expect.objectContaining({ data: 21.5, qos: 1, id: FIRST_ID })]);
    expect(await h.pendingOf(monitor)).toHaveLength(1);
  });

  it('acks many ids in one frame', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    for (const t of [1, 2, 3]) await h.send(sensor, `sensor|temp|${t}`);
    const ids = h.messages(monitor).map((m) => m.id as string);
    expect(ids).toHaveLength(3);
    await h.send(monitor, { action: 'msgack', ids });
    expect(await h.pendingOf(monitor)).toEqual([]);
  });
});
