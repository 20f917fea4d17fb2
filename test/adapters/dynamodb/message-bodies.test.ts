import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { bodyKeyOf } from '../../../lambdas/adapters/dynamodb/message-bodies.js';
import type { PendingEntry } from '../../../lambdas/core/types.js';
import { entry, NOW, pendingFixture } from './pending-fixture.js';

/**
 * A message's body is written once per delivery, in `messages`; the pending entries are small
 * references, and every read joins the bodies back, so the port's entries come back whole.
 */

const f = pendingFixture();

const fanOut = (n: number, id = 'm1', overrides: Partial<PendingEntry> = {}) =>
  Array.from({ length: n }, (_, i) => entry(`s${String(i).padStart(3, '0')}`, id, NOW + 10_000, { data: { payload: 'x'.repeat(1000), id }, ...overrides }));
/** The items each BatchWriteItem sent to a table. */
const writesTo = (table: string) =>
  f.recorded.filter((r) => r.command === 'BatchWriteItemCommand').flatMap((r) => (r.input.RequestItems as Record<string, unknown[]>)[table] ?? []);
const readsOf = (table: string) =>
  f.recorded.filter((r) => r.command === 'BatchGetItemCommand').map((r) => (r.input.RequestItems as Record<string, { Keys: unknown[] }>)[table]?.Keys.length ?? 0).filter((n) => n > 0);

describe('message bodies', () => {
  it('a 100-entry putMany writes one body item; the references are under 1 KB and hold no data', async () => {
    const entries = fanOut(100);
    await f.store.putMany(entries);

    const bodies = await f.items('messages');
    expect(bodies).toEqual([
      {
        topicKey: 'monitor|temp',
        msgKey: `${String(entries[0]!.createdAt).padStart(13, '0')}#m1`,
        data: JSON.stringify(entries[0]!.data),
        qos: 1,
        expiresAt: Math.ceil(entries[0]!.expiresAt / 1000),
        expiresAtMs: entries[0]!.expiresAt,
      },
    ]);
    const refs = (await f.items('pending')).filter((item) => !String(item.sessionId).startsWith('due#'));
    expect(refs).toHaveLength(100);
    for (const ref of refs) {
      expect(ref).not.toHaveProperty('data');
      expect(JSON.stringify(ref).length).toBeLessThan(1024);
    }
    // One write unit per reference put.
    const refWrites = f.recorded.filter((r) => r.command === 'BatchWriteItemCommand').slice(1);
    for (const write of refWrites) {
      const units = (write.consumedCapacity as Array<{ TableName: string; CapacityUnits: number }>).find((c) => c.TableName === f.names.pending);
      const items = (write.input.RequestItems as Record<string, unknown[]>)[f.names.pending]!.length;
      expect(units?.CapacityUnits).toBe(items);
    }
  });

  it('every read returns the body: getMany, ofSession, pagesOfSession, release, putAbsent’s existing; one BatchGet of distinct bodies', async () => {
    const entries = [...fanOut(50, 'm1'), ...fanOut(50, 'm2', { qos: 2 })];
    await f.store.putMany(entries);
    f.recorded.length = 0;

    expect(await f.store.getMany(entries, NOW)).toStrictEqual(entries);
    expect(readsOf(f.names.messages)).toEqual([2]);

    expect(await f.store.ofSession('s007', NOW)).toStrictEqual([entries[7], entries[57]]);
    const pages: PendingEntry[] = [];
    for await (const page of f.store.pagesOfSession('s007', NOW, 1)) pages.push(...page);
    expect(pages).toStrictEqual([entries[7], entries[57]]);

    const released = await f.store.release(entries[57]!, NOW + 20_000, NOW);
    expect(released).toStrictEqual({ result: 'released', entry: { ...entries[57]!, state: 'released', attempts: 1, dueAt: NOW + 20_000 } });
    expect(await f.store.putAbsent([entries[3]!], NOW)).toStrictEqual({ stored: [], existing: [entries[3]] });
  });

  it('one store writes a delivery’s body once over its pages; another store (container) writes it again, idempotently', async () => {
    const entries = fanOut(60);
    await f.store.putMany(entries.slice(0, 30));
    await f.store.putMany(entries.slice(30));
    expect(writesTo(f.names.messages)).toHaveLength(1);

    await f.otherStore().putAbsent(entries.slice(0, 10), NOW);
    expect(writesTo(f.names.messages)).toHaveLength(2);
    expect(await f.items('messages')).toHaveLength(1);
    expect(await f.store.getMany(entries, NOW)).toStrictEqual(entries);
  });

  it('a body is written again when it must live longer: a replayed entry, a dead-letter lease', async () => {
    const [first] = fanOut(1);
    await f.store.putMany([first!]);
    const expiryOfBody = async () => (await f.item('messages', bodyKeyOf(first!)))?.expiresAtMs;
    expect(await expiryOfBody()).toBe(first!.expiresAt);

    // A lease may push the entry's expiry out: the body follows, or it could go before the entry.
    const lease = { ...first!, dueAt: NOW + 60_000, expiresAt: first!.expiresAt + 60_000, deadLettering: { reason: 'ttl' as const, deadAt: NOW } };
    expect(await f.store.replaceIf(lease, first!.dueAt)).toStrictEqual(lease);
    expect(await expiryOfBody()).toBe(lease.expiresAt);

    // A replay (putMany, same id, a fresh deadline): written again though this store wrote it before.
    const replayed = { ...first!, attempts: 0, dueAt: NOW, expiresAt: first!.expiresAt + 86_400_000 };
    await f.store.putMany([replayed]);
    expect(await expiryOfBody()).toBe(replayed.expiresAt);
    expect(await f.store.getMany([replayed], NOW)).toStrictEqual([replayed]);
  });

  it('a plain replaceIf (a resend, a hold, a park) writes no body', async () => {
    const [first] = fanOut(1);
    await f.store.putMany([first!]);
    f.recorded.length = 0;
    const { connectionId: _c, ...parked } = { ...first!, parked: true, dueAt: first!.deadlineAt };
    expect(await f.store.replaceIf(parked, first!.dueAt)).toStrictEqual(parked);
    expect(f.recorded.map((r) => r.command)).toEqual(['UpdateItemCommand']);
    expect(await f.store.getMany([first!], NOW)).toStrictEqual([parked]);
  });

  it('a reference whose body is not there (yet) is left out of reads, as a write still under way', async () => {
    const entries = [...fanOut(2, 'm1'), ...fanOut(1, 'm2')];
    await f.store.putMany(entries);
    await f.doc.send(new DeleteCommand({ TableName: f.names.messages, Key: bodyKeyOf(entries[2]!) }));
    expect(await f.store.getMany(entries, NOW)).toStrictEqual(entries.slice(0, 2));
    expect(await f.store.ofSession('s000', NOW)).toStrictEqual([entries[0]]);
  });
});
