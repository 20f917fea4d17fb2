import { describe, expect, it } from 'vitest';
import { DynamoDbPendingStore } from '../../../lambdas/adapters/dynamodb/dynamodb-pending-store.js';
import type { Item } from '../../../lambdas/adapters/dynamodb/items.js';
import type { PendingEntry } from '../../../lambdas/core/types.js';
import { entry, NOW, pendingFixture, SHARDS, sum, unitsOf } from './pending-fixture.js';

/**
 * `firstSends: marker` (docs/architecture.md "Sparse first sends"): a fan-out's first sends get
 * no item per recipient, only their body and due marker; a msgack writes one ack record per frame
 * and deletes only ids its session's reference mark says may have an item. These look at the
 * items and the units DynamoDB reports, which the store contract cannot.
 */

const f = pendingFixture({ firstSends: 'marker' });

const SENT_AT = NOW - 10_000;
const DUE = NOW;
/** A server id as app/ids.ts makes them: time, 8 hex, the QoS 1 mark. */
const serverId = (time: number, n: number) => `${time.toString(36)}${n.toString(16).padStart(8, '0')}:1`;
const M1 = serverId(SENT_AT, 1);
const first = (sessionId: string, id = M1, overrides: Partial<PendingEntry> = {}) => entry(sessionId, id, DUE, { createdAt: SENT_AT, sessionKind: 'persistent', ...overrides });

const partitionOf = (item: Item) => String(item.sessionId);
const byPrefix = async (prefix: string) => (await f.items('pending')).filter((item) => partitionOf(item).startsWith(prefix));
const sessionItems = async () => (await f.items('pending')).filter((item) => !partitionOf(item).includes('#'));
const writeUnits = () => sum(f.recorded.filter((r) => /Put|Delete|Update|BatchWrite/.test(r.command)).map(unitsOf));
const deletesSent = () =>
  f.recorded
    .filter((r) => r.command === 'BatchWriteItemCommand')
    .flatMap((r) => Object.values(r.input.RequestItems as Record<string, Array<Record<string, unknown>>>).flat())
    .filter((request) => 'DeleteRequest' in request);

describe('putFirstSends with firstSends: marker', () => {
  it('writes the body and markers that carry each target, and no item per recipient', async () => {
    const entries = Array.from({ length: 100 }, (_, i) => first(`session-${String(i).padStart(3, '0')}`, M1, { connectionId: `Conn${i}AbCdEfGh=` }));
    await f.store.putFirstSends(entries);
    expect(await sessionItems()).toEqual([]);
    const markers = await byPrefix('due#');
    expect(markers.length).toBeLessThanOrEqual(3);
    for (const marker of markers) {
      expect(JSON.stringify(marker).length).toBeLessThan(4000);
      expect(marker.entry).toMatchObject({ id: M1, qos: 1, attempts: 1, dueAt: DUE, createdAt: SENT_AT, controller: 'monitor', topic: 'temp' });
      expect(marker.entry).not.toHaveProperty('data');
      expect(marker.entry).not.toHaveProperty('sessionId');
    }
    expect(markers.flatMap((m) => m.targets as string[]).sort()).toEqual(entries.map((e) => `${e.sessionId}\t${e.connectionId}\tpersistent\tjson`));
    expect((await f.items('messages')).length).toBe(1);
    // One BatchWriteItem round for body and markers: a fraction of a unit per recipient.
    expect(writeUnits() / entries.length).toBeLessThan(0.2);
  });

  it('once due, writes into the index the references of the unacked only, and deletes the markers', async () => {
    await f.store.putFirstSends(['s1', 's2', 's3'].map((s) => first(s)));
    await f.store.acknowledge('s2', [M1], SENT_AT + 500);
    expect(await f.store.due(DUE, 10)).toEqual([
      { sessionId: 's1', id: M1, dueAt: DUE },
      { sessionId: 's3', id: M1, dueAt: DUE },
    ]);
    const refs = await sessionItems();
    expect(refs.map((r) => r.sessionId).sort()).toEqual(['s1', 's3']);
    for (const ref of refs) expect(ref).toMatchObject({ ref: true, connectionId: `conn-${ref.sessionId}`, sessionKind: 'persistent', format: 'json', dueShard: expect.any(String) });
    expect(await byPrefix('due#')).toEqual([]);
    const [whole] = await f.store.getMany([{ sessionId: 's1', id: M1 }], DUE);
    expect(whole).toEqual(first('s1'));
  });

  it('an ack that came before the first send was stored (a page job stored late) still ends it', async () => {
    await f.store.acknowledge('s1', [M1], SENT_AT + 1000);
    await f.store.putFirstSends([first('s1'), first('s2')]);
    expect(await f.store.due(DUE + 60_000, 10)).toEqual([{ sessionId: 's2', id: M1, dueAt: DUE }]);
  });

  it('a store switched back to firstSends: reference still promotes the unacked of such markers', async () => {
    await f.store.putFirstSends([first('s1'), first('s2')]);
    await f.store.acknowledge('s2', [M1], SENT_AT + 500);
    const switchedBack = new DynamoDbPendingStore(f.doc, f.names.pending, { resendShards: SHARDS, messagesTable: f.names.messages });
    expect(await switchedBack.due(DUE, 10)).toEqual([{ sessionId: 's1', id: M1, dueAt: DUE }]);
    expect(await switchedBack.getMany([{ sessionId: 's1', id: M1 }], DUE)).toEqual([first('s1')]);
  });

  it('a promotion does not overwrite an item some other write made meanwhile', async () => {
    await f.store.putFirstSends([first('s1')]);
    // A re-run stored it listed, and a resume moved it on (attempt 2, later dueAt).
    const moved = first('s1', M1, { attempts: 2, dueAt: DUE + 30_000 });
    await f.store.putMany([moved]);
    expect(await f.store.due(DUE, 10)).toEqual([]);
    expect(await f.store.ofSession('s1', DUE)).toEqual([moved]);
  });
});

describe('acknowledge with firstSends: marker', () => {
  it('acks of first sends write one record per frame and delete nothing', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => serverId(SENT_AT + i, i));
    await f.store.putFirstSends(ids.map((id) => first('s1', id)));
    f.recorded.length = 0;
    await f.store.acknowledge('s1', ids, SENT_AT + 2000);
    expect(deletesSent()).toEqual([]);
    const records = await byPrefix('acks#');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ sessionId: 'acks#s1', ids });
    // The frame's record (50 ids), the mark's first write and read: about 0.1 unit per id, not 1.
    expect(writeUnits() / ids.length).toBeLessThan(0.15);
    expect(await f.store.due(DUE + 60_000, 100)).toEqual([]);
  });

  it('deletes the references a session may have: those putMany, putAbsent or a promotion wrote', async () => {
    const held = first('s1', M1, { held: true, attempts: 0, dueAt: NOW + 86_400_000 });
    const rerun = first('s1', serverId(SENT_AT + 1, 2));
    await f.store.putMany([held]);
    await f.store.putAbsent([rerun], NOW);
    const promoted = first('s1', serverId(SENT_AT + 2, 3));
    await f.store.putFirstSends([promoted]);
    expect((await f.store.due(DUE, 10)).map((k) => k.id)).toEqual([rerun.id, promoted.id]);
    // Another function instance, which remembers nothing of the marks raised.
    await f.otherStore().acknowledge('s1', [held.id, rerun.id, promoted.id], NOW + 1000);
    expect(await f.store.ofSession('s1', NOW + 1000)).toEqual([]);
    expect(await sessionItems()).toEqual([]);
  });

  it('a reference written before the switch from firstSends: reference (no mark) is deleted when due, not resent', async () => {
    const before = new DynamoDbPendingStore(f.doc, f.names.pending, { resendShards: SHARDS, messagesTable: f.names.messages });
    const old = first('s1', M1, { attempts: 2 });
    const kept = first('s1', serverId(SENT_AT + 1, 2), { attempts: 2 });
    await before.putMany([old, kept]);
    await f.store.acknowledge('s1', [M1], NOW - 5000);
    // No mark: the ack did not delete it, so reads list it until its due time...
    expect(await f.store.ofSession('s1', NOW - 5000)).toEqual([old, kept]);
    // ...where due() finds the ack and deletes it instead of listing it.
    expect(await f.store.due(DUE, 10)).toEqual([{ sessionId: 's1', id: kept.id, dueAt: DUE }]);
    expect(await f.store.ofSession('s1', DUE)).toEqual([kept]);
  });

  it('raises a session’s mark once a minute at most while its references keep coming (an away session)', async () => {
    const away = (i: number) => first('s1', serverId(SENT_AT + i * 1000, i), { parked: true, connectionId: undefined, dueAt: NOW + 86_400_000 });
    f.recorded.length = 0;
    for (let i = 0; i < 30; i += 1) await f.store.putMany([away(i)]);
    expect(f.recorded.filter((r) => r.command === 'UpdateItemCommand')).toHaveLength(1);
  });
});
