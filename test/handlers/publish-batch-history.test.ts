import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
