import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingEntry } from '../../lambdas/core/types.js';
import { Harness } from '../support/harness.js';

/**
 * Issue 13: msgack tells QoS 1 from QoS 2 by the id (core/delivery.ts recipientId), not by
 * reading every acked entry. QoS 1 ids are deleted blind; QoS 2 ids, and ids without a mark
 * (entries stored before marks existed), are read first, so the pubrec rule and the tombstone hold.
 */
describe('msgack reads only what may be QoS 2', () => {
  let h: Harness;
  /** Pending-table commands, counted while a test runs (the DocumentClient shares the client's stack). */
  let pendingCommands: string[] = [];
  beforeAll(async () => {
    h = await Harness.start();
    h.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
        const tables = [input.TableName, ...Object.keys(input.RequestItems ?? {})];
        if (tables.includes(h.tableNames.pending)) pendingCommands.push((context.commandName ?? '?').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countPending' },
    );
  });
  afterAll(() => h.close());

  it('a QoS 1 id is deleted with one batched write and no read of the pending table', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|1');
    await h.send(sensor, 'sensor|temp|2');
    const ids = h.messages(monitor).map((m) => m.id as string);
    expect(ids.every((id) => id.endsWith(':1'))).toBe(true);
    pendingCommands = [];
    await h.send(monitor, { action: 'msgack', ids });
    expect(pendingCommands).toEqual(['BatchWriteItem']);
    expect(await h.pendingOf(monitor)).toEqual([]);
    // An unknown id or a repeat is as harmless and silent as before.
    await h.send(monitor, { action: 'msgack', ids: [...ids, 'nope:1'] });
    expect(h.frames(monitor).filter((f) => f.type !== 'message')).toEqual([]);
  });

  it('a QoS 2 id is read, completed after pubrec (a tombstone), and refused before it', async () => {
    const publisher = await h.client({ qos: '2' });
    const monitor = await h.client({ qos: '2' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 'bill', qos: 2 });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'bill', data: 1, qos: 2, id: 'b1' });
    await h.send(publisher, { action: 'pubrel', id: 'b1' });
    const [message] = h.messages(monitor);
    const id = message?.id as string;
    expect(id.endsWith(':2')).toBe(true);

    pendingCommands = [];
    await h.send(monitor, { action: 'msgack', id });
    expect(h.frames(monitor).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'msgack', id });
    expect(pendingCommands).toEqual(['BatchGetItem']);
    expect(await h.pendingOf(monitor)).toHaveLength(1);

    await h.send(monitor, { action: 'pubrec', id });
    pendingCommands = [];
    await h.send(monitor, { action: 'msgack', id });
    expect(pendingCommands[0]).toBe('BatchGetItem');
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('one frame with both kinds deletes the QoS 1 ids even when a QoS 2 one is out of order', async () => {
    const sensor = await h.client();
    const publisher = await h.client({ qos: '2' });
    const monitor = await h.client({ controllers: 'monitor', qos: '2' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 'mixed', qos: 2 });
    await h.send(sensor, 'sensor|temp|3');
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'mixed', data: 'x', qos: 2, id: 'x1' });
    await h.send(publisher, { action: 'pubrel', id: 'x1' });
    const ids = h.messages(monitor).map((m) => m.id as string);
    expect(ids.map((id) => id.slice(-2)).sort()).toEqual([':1', ':2']);
    await h.send(monitor, { action: 'msgack', ids });
    expect(h.frames(monitor).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', id: ids.find((i) => i.endsWith(':2')) });
    expect((await h.pendingOf(monitor)).map((e) => e.qos)).toEqual([2]);
  });

  it('an id without a mark (an entry stored before marks existed) takes the read path: a QoS 2 one is never deleted blind', async () => {
    const monitor = await h.client({ qos: '2' });
    const now = h.clock.now();
    const legacy: PendingEntry = {
      sessionId: monitor,
      id: 'mh1x2abcdeadbeef',
      connectionId: monitor,
      sessionKind: 'clean',
      format: 'json',
      controller: 'monitor',
      topic: 'old',
      data: 'before the upgrade',
      qos: 2,
      state: 'sent',
      parked: false,
      sent: true,
      attempts: 1,
      createdAt: now,
      deadlineAt: now + 60_000,
      dueAt: now + 10_000,
      expiresAt: now + 120_000,
    };
    await h.deps.stores.pending.putMany([legacy]);
    await h.send(monitor, { action: 'msgack', id: legacy.id });
    expect(h.frames(monitor).at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST', id: legacy.id });
    expect(await h.pendingOf(monitor)).toHaveLength(1);
    await h.send(monitor, { action: 'pubrec', id: legacy.id });
    await h.send(monitor, { action: 'msgack', id: legacy.id });
    expect(await h.pendingOf(monitor)).toEqual([]);
  });
});
