import { describe, expect, it } from 'vitest';
import { recordAccepted } from '../../lambdas/app/ingest.js';
import { Harness } from '../support/harness.js';

/**
 * What the record write (app/ingest.ts, PROTOCOL §10-11) adds to a publish, measured on DynamoDB
 * Local with ReturnConsumedCapacity: requests and write units, history on and off.
 */
async function costOf(h: Harness, run: () => Promise<unknown>): Promise<{ requests: number; historyRequests: number; writeUnits: number; historyWriteUnits: number }> {
  const historyTable = h.tableNames.history;
  const totals = { requests: 0, historyRequests: 0, writeUnits: 0, historyWriteUnits: 0 };
  const name = `capacity-${Math.random()}`;
  h.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Array<{ TableName?: string; CapacityUnits?: number }>;
      const write = /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(context.commandName ?? '');
      const tables = [input.TableName, ...Object.keys((input.RequestItems as object | undefined) ?? {})];
      totals.requests += 1;
      if (tables.includes(historyTable)) totals.historyRequests += 1;
      for (const c of list) {
        const units = write ? (c.CapacityUnits ?? 0) : 0;
        totals.writeUnits += units;
        if (c.TableName === historyTable) totals.historyWriteUnits += units;
      }
      return result;
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    h.doc.middlewareStack.remove(name);
  }
  return totals;
}

describe('the cost of recording (one write per client message)', () => {
  it('a 1 KB reading at QoS 0 and 1: +1 request and +1 write unit with history on, nothing with it off', async () => {
    const results: Record<string, Awaited<ReturnType<typeof costOf>>> = {};
    for (const historyTtlMs of [7 * 86_400_000, 0]) {
      const h = await Harness.start({ policy: { historyTtlMs } });
      try {
        const device = await h.client({ clientId: 'dev-1', qos: '1' });
        const reading = { value: 21.5, pad: 'x'.repeat(800) }; // with the record's fields, under 1 KB
        await h.send(device, { action: 'publish', controller: 'sensor', topic: 'warm-up', data: 1, qos: 1, id: 'w' });
        const N = 20;
        results[historyTtlMs] = await costOf(h, async () => {
          for (let i = 0; i < N; i++) {
            await h.send(device, { action: 'publish', controller: 'sensor', topic: 'blob', data: reading, qos: 1, id: `q1-${i}` });
            await h.send(device, { action: 'publish', controller: 'sensor', topic: 'blob', data: reading, qos: 0 });
          }
        });
        expect(h.frames(device).filter((f) => f.type === 'msgack')).toHaveLength(N + 1);
      } finally {
        await h.close();
      }
    }
    const on = results[7 * 86_400_000]!;
    const off = results[0]!;
    // 40 messages: one BatchWriteItem of one record each, 1 write unit each (< 1 KB).
    expect(on.historyRequests).toBe(40);
    expect(on.historyWriteUnits).toBe(40);
    expect(off.historyRequests).toBe(0);
    expect(on.requests - off.requests).toBe(40);
    expect(on.writeUnits - off.writeUnits).toBe(40);
  });
});

describe('recordAccepted with a list (the batched publish passes all its messages at once)', () => {
  it('30 messages: one call, BatchWriteItem 25 per request, ids <session>:<client id>:<index>', async () => {
    const h = await Harness.start();
    try {
      const sender = { sessionId: 'dev-9', connectionId: 'conn-9=', clientMessageId: 'b-1' };
      const now = h.clock.now();
      const batch = Array.from({ length: 30 }, (_, i) => ({ controller: 'sensor', topic: i % 2 === 0 ? 'temp' : 'hum', data: 20 + i, qos: 1 as const, retain: false }));
      const cost = await costOf(h, () => recordAccepted(h.deps, batch, sender, now));
      expect(cost.historyRequests).toBe(2);
      expect(cost.historyWriteUnits).toBe(30);
      const temp = (await h.deps.stores.history.page('sensor', 'temp', { limit: 100 }, now)).items;
      expect(temp.map((r) => r.messageId).sort()).toEqual(Array.from({ length: 15 }, (_, k) => `dev-9:b-1:${2 * k}`).sort());
      // The same batch again (a resend): the same keys, nothing new.
      await recordAccepted(h.deps, batch, sender, now);
      expect((await h.deps.stores.history.page('sensor', 'temp', { limit: 100 }, now)).items).toHaveLength(15);
      // A batch a controller refuses never gets here: the hand-on calls this only once every
      // method took its message (test/handlers/publish-batch-history.test.ts).
    } finally {
      await h.close();
    }
  });
});
