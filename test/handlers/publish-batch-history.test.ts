import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineController } from '../../lambdas/core/controllers/controller.js';
import { ControllerRegistry } from '../../lambdas/core/controllers/registry.js';
import { monitor } from '../../lambdas/core/controllers/monitor.js';
import { sensor } from '../../lambdas/core/controllers/sensor.js';
import { Harness } from '../support/harness.js';

/**
 * PROTOCOL §10-11: a batched publish records each of its messages once, before its answer: QoS 0
 * and 1 at publish, QoS 2 at pubrel from the stored batch (a repeated pubrel writes nothing new).
 */
describe('a batched publish in history (and so in the sink)', () => {
  let h: Harness;
  let publisher: string;

  beforeAll(async () => {
    h = await Harness.start();
    publisher = await h.client({ qos: '2', clientId: 'dev-b' });
  });
  afterAll(() => h.close());

  const records = async (topic: string) => (await h.deps.stores.history.page('monitor', topic, { limit: 1000 }, h.clock.now())).items;
  const batch = (qos: number, id: string, topic: string, data: number[]) => ({ action: 'publish', qos, id, messages: data.map((d) => ({ controller: 'monitor', topic, data: d })) });

  it('QoS 1: every message recorded before the one msgack, each messageId the client id and its index', async () => {
    await h.send(publisher, batch(1, 'b-1', 'hall/temp', [20, 21, 22]));
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toEqual([expect.objectContaining({ id: 'b-1' })]);
    const got = await records('hall/temp');
    expect(got.map((r) => r.data).sort()).toEqual([20, 21, 22]);
    expect(got.map((r) => r.messageId).sort()).toEqual(['dev-b:b-1:0', 'dev-b:b-1:1', 'dev-b:b-1:2']);
    expect(got.every((r) => r.clientId === 'dev-b' && r.qos === 1)).toBe(true);
  });

  it('QoS 2: nothing recorded at publish; at pubrel every message, once, however often released', async () => {
    await h.send(publisher, batch(2, 'q-1', 'hall/hum', [40, 41]));
    await h.send(publisher, batch(2, 'q-1', 'hall/hum', [40, 41]));
    expect(await records('hall/hum')).toEqual([]);
    await h.send(publisher, { action: 'pubrel', id: 'q-1' });
    await h.send(publisher, { action: 'pubrel', id: 'q-1' });
    const got = await records('hall/hum');
    expect(got.map((r) => r.data).sort()).toEqual([40, 41]);
    expect(new Set(got.map((r) => r.messageId)).size).toBe(2);
    expect(got.every((r) => r.qos === 2)).toBe(true);
  });

  it('a batch one of whose messages its controller refuses is BAD_REQUEST naming it, and none of it is recorded', async () => {
    await h.send(publisher, { action: 'publish', qos: 1, id: 'b-bad', messages: [{ controller: 'sensor', topic: 'temp', data: 21 }, { controller: 'sensor', topic: 'temp', data: 'hot' }] });
    expect(h.frames(publisher).filter((f) => f.type === 'error').at(-1)).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('messages[1]') });
    expect((await h.deps.stores.history.page('sensor', 'temp', { limit: 100 }, h.clock.now())).items).toEqual([]);
  });
});

/**
 * A controller's method is server code (PROTOCOL §5) and may have effects of its own: it runs
 * once per accepted message, with history on, though the message is recorded between the
 * method and the delivery.
 */
describe('a controller method runs once per message it takes, recorded or not', () => {
  const calls: unknown[] = [];
  const counting = defineController('meter', {
    read: (data, context) => {
      calls.push(data);
      context.publishToAll('monitor', 'meter/read', data, 1);
    },
  });
  let h: Harness;
  let device: string;
  let watcher: string;

  beforeAll(async () => {
    h = await Harness.start({ controllers: new ControllerRegistry([sensor, monitor, counting]) });
    device = await h.client({ qos: '2', clientId: 'meter-1', controllers: 'meter' });
    watcher = await h.client({ qos: '1', clientId: 'watch-1' });
    await h.send(watcher, { action: 'subscribe', controller: 'monitor', topic: 'meter/read', qos: 1 });
  });
  afterAll(() => h.close());

  it('QoS 0, QoS 1, a batch of 3 and a QoS 2 batch of 2 at pubrel: 7 method runs, 7 records, 7 deliveries', async () => {
    await h.send(device, { action: 'publish', controller: 'meter', topic: 'read', data: 1, qos: 0 });
    await h.send(device, { action: 'publish', controller: 'meter', topic: 'read', data: 2, qos: 1, id: 'm-2' });
    await h.send(device, { action: 'publish', qos: 1, id: 'm-3', messages: [3, 4, 5].map((data) => ({ controller: 'meter', topic: 'read', data })) });
    await h.send(device, { action: 'publish', qos: 2, id: 'm-6', messages: [6, 7].map((data) => ({ controller: 'meter', topic: 'read', data })) });
    await h.send(device, { action: 'pubrel', id: 'm-6' });
    expect([...calls].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const recorded = (await h.deps.stores.history.page('meter', 'read', { limit: 100 }, h.clock.now())).items;
    expect(recorded.map((r) => r.data).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const delivered = h.frames(watcher).filter((f) => f.type === 'message').map((f) => f.data);
    expect([...delivered].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
