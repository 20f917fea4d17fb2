import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SINK_ONLY_TTL_MS } from '../../lambdas/core/ingest.js';
import type { HistoryFrame, HistoryRecord } from '../../lambdas/core/types.js';
import { frameRouteHandlers, Harness } from '../support/harness.js';

/**
 * PROTOCOL §10-11 on the handlers (DynamoDB Local): one history record per message accepted from a
 * client, written before it is answered, with the messageId rules of app/ingest.ts; and `history`.
 */

const DAY = 86_400_000;

async function recorded(h: Harness, controller = 'sensor', topic = 'temp'): Promise<HistoryRecord[]> {
  return (await h.deps.stores.history.page(controller, topic, { limit: 1000 }, h.clock.now())).items;
}

const historyFrames = (h: Harness, connectionId: string) => h.frames(connectionId).filter((f): f is HistoryFrame => f.type === 'history');

describe('the record of every accepted client message (PROTOCOL §11)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('QoS 1: one record before the msgack, messageId <session>:<id>, the same key on every resend', async () => {
    const device = await h.client({ clientId: 'dev-1', qos: '1' });
    const t0 = h.clock.now();
    await h.send(device, { action: 'publish', controller: 'sensor', topic: 'temp', data: 21.5, qos: 1, id: 'r-1' });
    expect(h.frames(device).at(-1)).toMatchObject({ type: 'msgack', id: 'r-1' });
    // The client did not get the msgack and sends it again: the same record, not a second one.
    await h.send(device, { action: 'publish', controller: 'sensor', topic: 'temp', data: 21.5, qos: 1, id: 'r-1', dup: true });
    expect(await recorded(h)).toStrictEqual([
      { controller: 'sensor', topic: 'temp', data: 21.5, qos: 1, clientId: 'dev-1', receivedAt: t0, messageId: 'dev-1:r-1', expiresAt: t0 + 7 * DAY },
    ]);
  });

  it('QoS 0 (JSON and text frames): one record each, with a fresh server id (its hand-on’s)', async () => {
    const device = await h.client({ clientId: 'dev-0' });
    h.clock.advance(1000);
    await h.send(device, { action: 'publish', controller: 'sensor', topic: 'hum', data: 40 });
    await h.send(device, 'sensor|hum|41');
    const records = await recorded(h, 'sensor', 'hum');
    expect(records.map((r) => [r.data, r.qos, r.clientId])).toEqual([
      [41, 0, 'dev-0'],
      [40, 0, 'dev-0'],
    ]);
    expect(new Set(records.map((r) => r.messageId)).size).toBe(2);
    expect(records.every((r) => !r.messageId.startsWith('dev-0:'))).toBe(true);
  });

  it('QoS 2: nothing at publish; one record at pubrel with the inbound record’s messageId and receivedAt; a repeated pubrel adds nothing', async () => {
    const device = await h.client({ clientId: 'dev-2', qos: '2' });
    const listener = await h.client({ qos: '2' });
    await h.send(listener, { action: 'subscribe', controller: 'sensor', topic: 'pressure', qos: 2 });
    h.clock.advance(1000);
    const publishedAt = h.clock.now();
    await h.send(device, { action: 'publish', controller: 'sensor', topic: 'pressure', data: 1013, qos: 2, id: 'p-1' });
    expect(await recorded(h, 'sensor', 'pressure')).toEqual([]);
    h.clock.advance(5000);
    await h.send(device, { action: 'pubrel', id: 'p-1' });
    await h.send(device, { action: 'pubrel', id: 'p-1' });
    expect(h.frames(device).filter((f) => f.type === 'msgack')).toHaveLength(2);
    const records = await recorded(h, 'sensor', 'pressure');
    expect(records).toStrictEqual([
      { controller: 'sensor', topic: 'pressure', data: 1013, qos: 2, clientId: 'dev-2', receivedAt: publishedAt, messageId: expect.any(String), expiresAt: publishedAt + 7 * DAY },
    ]);
    // The server id fixed at publish (InboundRecord.messageId): what the recipient's delivery id is made from.
    expect(h.messages(listener)).toHaveLength(1);
    expect(h.messages(listener)[0]?.id?.startsWith(`${records[0]?.messageId}`)).toBe(true);
  });

  it('a message its controller refuses (sensor temp that is not a number) is answered BAD_REQUEST and not recorded', async () => {
    const device = await h.client({ clientId: 'dev-3' });
    await h.send(device, 'sensor|temp|warm');
    expect(h.frames(device).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect((await recorded(h)).filter((r) => r.clientId === 'dev-3')).toEqual([]);
  });

  it('the server’s own publishes (presence) are not recorded', async () => {
    await h.client({ clientId: 'dev-4' });
    expect(await recorded(h, '$presence', 'dev-4')).toEqual([]);
  });

  it('a failed record write gets no msgack and hands nothing on: the client’s resend is recorded', async () => {
    const device = await h.client({ clientId: 'dev-5', qos: '1' });
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    const { history } = h.deps.stores;
    h.deps.stores.history = { page: (...a) => history.page(...a), append: async () => Promise.reject(new Error('ProvisionedThroughputExceededException')) };
    try {
      await h.send(device, { action: 'publish', controller: 'sensor', topic: 'temp', data: 30, qos: 1, id: 'f-1' });
    } finally {
      h.deps.stores.history = history;
    }
    expect(h.frames(device).at(-1)).toMatchObject({ type: 'error', code: 'INTERNAL', id: 'f-1' });
    expect(h.messages(monitor)).toEqual([]);
    await h.send(device, { action: 'publish', controller: 'sensor', topic: 'temp', data: 30, qos: 1, id: 'f-1', dup: true });
    expect(h.frames(device).at(-1)).toMatchObject({ type: 'msgack', id: 'f-1' });
    expect((await recorded(h)).filter((r) => r.messageId === 'dev-5:f-1')).toHaveLength(1);
  });
});

describe('the history action (PROTOCOL §10)', () => {
  let h: Harness;
  let device: string;
  let reader: string;
  beforeAll(async () => {
    h = await Harness.start();
    device = await h.client({ clientId: 'dev-7' });
    reader = await h.client();
    for (let i = 0; i < 5; i++) {
      await h.send(device, `sensor|temp|${20 + i}`);
      h.clock.advance(1000);
    }
  });
  afterAll(() => h.close());

  it('answers newest first with data, at and clientId, the request’s id, and more: false', async () => {
    const t = h.clock.now();
    await h.send(reader, { action: 'history', controller: 'sensor', topic: 'temp', id: 'h-1' });
    expect(historyFrames(h, reader)).toStrictEqual([
      {
        type: 'history',
        controller: 'sensor',
        topic: 'temp',
        items: [24, 23, 22, 21, 20].map((data, i) => ({ data, at: t - 1000 * (i + 1), clientId: 'dev-7' })),
        more: false,
        id: 'h-1',
      },
    ]);
  });

  it('limit, since and before; `next` is the `before` of the older page', async () => {
    const t = h.clock.now();
    await h.send(reader, { action: 'history', controller: 'sensor', topic: 'temp', limit: 2 });
    const first = historyFrames(h, reader).at(-1);
    expect(first).toMatchObject({ items: [{ data: 24 }, { data: 23 }], more: false, next: t - 2000 });
    await h.send(reader, { action: 'history', controller: 'sensor', topic: 'temp', limit: 2, before: first?.next });
    expect(historyFrames(h, reader).at(-1)).toMatchObject({ items: [{ data: 22 }, { data: 21 }], more: false, next: t - 4000 });
    await h.send(reader, { action: 'history', controller: 'sensor', topic: 'temp', since: t - 3000 });
    const recent = historyFrames(h, reader).at(-1);
    expect(recent?.items.map((i) => i.data)).toEqual([24, 23, 22]);
    expect(recent).not.toHaveProperty('next');
  });

  it('a topic with nothing stored answers one empty frame', async () => {
    await h.send(reader, { action: 'history', controller: 'sensor', topic: 'nothing-here' });
    expect(historyFrames(h, reader).at(-1)).toStrictEqual({ type: 'history', controller: 'sensor', topic: 'nothing-here', items: [], more: false });
  });

  it('bad input is BAD_REQUEST naming the rule, and nothing else is answered', async () => {
    const bad: Array<[object, string]> = [
      [{ limit: 0 }, 'limit must be a whole number from 1 to 1000'],
      [{ limit: 1001 }, 'limit must be a whole number from 1 to 1000'],
      [{ limit: 2.5 }, 'limit must be a whole number from 1 to 1000'],
      [{ since: 2000, before: 1000 }, 'since must not be after before'],
      [{ since: -1 }, 'since must be a whole number of ms since the epoch'],
      [{ before: 1.5 }, 'before must be a whole number of ms since the epoch'],
      [{ controller: undefined }, 'controller is required'],
      [{ topic: undefined }, 'topic is required'],
      [{ topic: 'site/+/temp' }, 'wildcards'],
    ];
    for (const [fields, rule] of bad) {
      const before = h.frames(reader).length;
      await h.send(reader, { action: 'history', controller: 'sensor', topic: 'temp', id: 'h-bad', ...fields });
      const answers = h.frames(reader).slice(before);
      expect(answers).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST', action: 'history', id: 'h-bad', message: expect.stringContaining(rule) })]);
    }
  });

  it('an unknown controller is UNKNOWN_CONTROLLER', async () => {
    await h.send(reader, { action: 'history', controller: 'nobody', topic: 'temp' });
    expect(h.frames(reader).at(-1)).toMatchObject({ type: 'error', code: 'UNKNOWN_CONTROLLER' });
  });

  it('needs the subscribe right on the controller: FORBIDDEN otherwise, answered with history when granted', async () => {
    const routes = frameRouteHandlers(h.deps);
    const monitor = await h.client({ clientId: 'mon-9' });
    const send = (actions: string, controllers: string) =>
      routes.get('history')!({
        requestContext: { routeKey: 'history', eventType: 'MESSAGE', connectionId: monitor, authorizer: { clientId: 'mon-9', controllers, actions } },
        body: JSON.stringify({ action: 'history', controller: 'sensor', topic: 'temp', id: 'h-auth' }),
      });
    await send('publish', 'sensor');
    await send('subscribe', 'monitor');
    await send('subscribe', 'sensor');
    expect(h.frames(monitor).map((f) => (f.type === 'error' ? `${f.code}: ${f.message}` : f.type))).toEqual([
      'FORBIDDEN: this connection may not subscribe',
      'FORBIDDEN: this connection may not use controller sensor',
      'history',
    ]);
  });
});

describe('history off, the sink, and ingestTopics (PROTOCOL §10-11, core/ingest.ts)', () => {
  it('history off and the sink off: nothing is recorded, and history is BAD_REQUEST "history is off in this deployment"', async () => {
    const h = await Harness.start({ policy: { historyTtlMs: 0 } });
    try {
      const device = await h.client({ qos: '1' });
      await h.send(device, { action: 'publish', controller: 'sensor', topic: 'temp', data: 1, qos: 1, id: 'a' });
      expect(h.frames(device).at(-1)).toMatchObject({ type: 'msgack' });
      expect(await recorded(h)).toEqual([]);
      await h.send(device, { action: 'history', controller: 'sensor', topic: 'temp' });
      expect(h.frames(device).at(-1)).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'history is off in this deployment', action: 'history' });
    } finally {
      await h.close();
    }
  });

  it('history off and the sink on: recorded for the sink with a one-hour TTL, history still refused', async () => {
    const h = await Harness.start({ policy: { historyTtlMs: 0, sinkEnabled: true } });
    try {
      const device = await h.client({ qos: '1', clientId: 'dev-s' });
      await h.send(device, { action: 'publish', controller: 'sensor', topic: 'temp', data: 1, qos: 1, id: 'a' });
      expect(await recorded(h)).toMatchObject([{ messageId: 'dev-s:a', expiresAt: h.clock.now() + SINK_ONLY_TTL_MS }]);
      await h.send(device, { action: 'history', controller: 'sensor', topic: 'temp' });
      expect(h.frames(device).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'history is off in this deployment' });
    } finally {
      await h.close();
    }
  });

  it('ingestTopics: only the selected topics are recorded; history of another topic says it is not recorded', async () => {
    const h = await Harness.start({ policy: { ingestTopics: ['sensor/temp', '*/site-1/#'], historyTtlMs: DAY } });
    try {
      const device = await h.client();
      await h.send(device, 'sensor|temp|20');
      await h.send(device, 'sensor|hum|40');
      await h.send(device, 'monitor|site-1/boiler|70');
      expect((await recorded(h)).map((r) => r.data)).toEqual([20]);
      expect(await recorded(h, 'sensor', 'hum')).toEqual([]);
      expect((await recorded(h, 'monitor', 'site-1/boiler')).map((r) => [r.data, r.expiresAt - r.receivedAt])).toEqual([[70, DAY]]);
      await h.send(device, { action: 'history', controller: 'sensor', topic: 'hum' });
      expect(h.frames(device).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'sensor/hum is not recorded in this deployment (ingestTopics)' });
    } finally {
      await h.close();
    }
  });
});
