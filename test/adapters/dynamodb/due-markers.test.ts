import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbPendingStore, dueShardOf } from '../../../lambdas/adapters/dynamodb/dynamodb-pending-store.js';
import type { Item } from '../../../lambdas/adapters/dynamodb/items.js';
import { entry, NOW, pendingFixture, SHARDS } from './pending-fixture.js';

/**
 * The sparse resend index: a fan-out's first sends stay out of byDue, under one due marker per
 * (id, dueAt); due() promotes the live ones once due and deletes the marker. Every other write
 * indexes the entry itself. These look at the items, which the store contract cannot.
 */

const f = pendingFixture();

const markersOf = async (): Promise<Item[]> => (await f.items('pending')).filter((item) => String(item.sessionId).startsWith('due#'));
const entriesOf = async (): Promise<Item[]> => (await f.items('pending')).filter((item) => !String(item.sessionId).startsWith('due#'));
const succeeded = (command: string) => f.recorded.filter((r) => r.command === command && r.error === undefined);

describe('putMany of a fan-out’s first sends', () => {
  it('stores references without dueShard and without data, and one marker listing their sessions', async () => {
    const entries = ['s1', 's2', 's3'].map((s) => entry(s, 'm1', NOW + 10_000));
    await f.store.putMany(entries);

    for (const item of await entriesOf()) {
      expect(item).not.toHaveProperty('dueShard');
      expect(item).not.toHaveProperty('data');
      expect(item).toMatchObject({ ref: true, dueAt: NOW + 10_000, attempts: 1 });
    }
    const [marker, ...more] = await markersOf();
    expect(more).toEqual([]);
    expect(marker).toEqual({
      sessionId: `due#${dueShardOf(entries[0]!, SHARDS)}`,
      id: `00${NOW + 10_000}#m1#s1`,
      sessions: ['s1', 's2', 's3'],
      expiresAt: Math.ceil(entries[0]!.expiresAt / 1000),
      expiresAtMs: entries[0]!.expiresAt,
    });
    // Out of the index, so no index write: a marker is what the sweep will find.
    expect(marker).not.toHaveProperty('dueShard');
  });

  it('writes the bodies and markers first, in one BatchWriteItem across both tables, then the references', async () => {
    await f.store.putMany(Array.from({ length: 100 }, (_, i) => entry(`s${i}`, 'm1', NOW + 10_000)));
    const writes = f.recorded.filter((r) => r.command === 'BatchWriteItemCommand').map((r) => r.input.RequestItems as Record<string, unknown[]>);
    expect(writes[0]).toEqual({ [f.names.messages]: [expect.anything()], [f.names.pending]: [expect.anything()] });
    expect(writes.slice(1).map((w) => Object.keys(w))).toEqual(Array(4).fill([f.names.pending]));
    expect(writes.slice(1).flatMap((w) => Object.values(w).flat())).toHaveLength(100);
  });

  it('keeps each marker under 4 KB, and apart for two page jobs of one delivery (same id and dueAt)', async () => {
    const long = (i: number) => `${'p'.repeat(100)}${String(i).padStart(4, '0')}`;
    await f.store.putMany(Array.from({ length: 100 }, (_, i) => entry(long(i), 'm1', NOW + 10_000)));
    await f.store.putMany(Array.from({ length: 100 }, (_, i) => entry(long(100 + i), 'm1', NOW + 10_000)));
    const markers = await markersOf();
    expect(markers.length).toBeGreaterThanOrEqual(8);
    for (const marker of markers) expect(JSON.stringify(marker).length).toBeLessThan(4000);
    expect(markers.flatMap((m) => m.sessions as string[]).sort()).toEqual(Array.from({ length: 200 }, (_, i) => long(i)));
  });

  it('indexes (dueShard, no marker) what is not a first send: held, parked, released, retried, a dead-letter lease', async () => {
    await f.store.putMany([
      entry('s1', 'held', NOW, { held: true, attempts: 0 }),
      entry('s2', 'parked', NOW, { parked: true, attempts: 0, connectionId: undefined }),
      entry('s3', 'released', NOW, { qos: 2, state: 'released' }),
      entry('s4', 'retried', NOW, { attempts: 2 }),
      entry('s5', 'lease', NOW, { deadLettering: { reason: 'ttl', deadAt: NOW } }),
    ]);
    expect(await markersOf()).toEqual([]);
    for (const item of await entriesOf()) expect(item.dueShard).toBe(dueShardOf(item as { sessionId: string; id: string }, SHARDS));
  });
});

describe('due() and the markers', () => {
  it('promotes a due marker’s entries into the index, returns them, and deletes the marker; not before it is due', async () => {
    const entries = ['s1', 's2'].map((s) => entry(s, 'm1', NOW));
    await f.store.putMany(entries);
    expect(await f.store.due(NOW - 1, 10)).toEqual([]);
    expect(await markersOf()).toHaveLength(1);

    expect(await f.store.due(NOW, 10)).toEqual(entries.map((e) => ({ sessionId: e.sessionId, id: 'm1', dueAt: NOW })));
    expect(await markersOf()).toEqual([]);
    for (const item of await entriesOf()) expect(item.dueShard).toBe(dueShardOf(item as { sessionId: string; id: string }, SHARDS));
    // The marker's entries were read eventually consistent (the promotion is the conditional part).
    const [get] = f.recorded.filter((r) => r.command === 'BatchGetItemCommand');
    expect(Object.values(get!.input.RequestItems as Record<string, { ConsistentRead: boolean }>)[0]?.ConsistentRead).toBe(false);
  });

  it('an entry acked before its due time is not promoted and its marker is gone after due()', async () => {
    const acked = entry('s1', 'm1', NOW);
    const completed = entry('s2', 'm1', NOW, { qos: 2 });
    await f.store.putMany([acked, completed]);
    await f.store.deleteMany([acked]);
    await f.store.complete([completed]);
    f.recorded.length = 0;

    expect(await f.store.due(NOW, 10)).toEqual([]);
    expect(succeeded('UpdateItemCommand')).toEqual([]);
    expect(await markersOf()).toEqual([]);
    // The tombstone stays out of the index.
    expect(await entriesOf()).toEqual([{ sessionId: 's2', id: 'm1', done: true, expiresAt: Math.ceil(completed.deadlineAt / 1000), expiresAtMs: completed.deadlineAt }]);
  });

  it('a replaceIf, a release, an ack between putMany and the marker: the index has the entry, the marker skips it', async () => {
    const held = entry('s1', 'm1', NOW, { qos: 2 });
    const released = entry('s2', 'm1', NOW, { qos: 2 });
    const lateAck = entry('s3', 'm1', NOW);
    await f.store.putMany([held, released, lateAck]);
    await f.store.replaceIf({ ...held, held: true, dueAt: NOW + 50_000 }, NOW);
    await f.store.release(released, NOW + 40_000, NOW);
    for (const key of [held, released]) expect((await f.item('pending', { sessionId: key.sessionId, id: 'm1' }))?.dueShard).toBe(dueShardOf(key, SHARDS));
    f.recorded.length = 0;

    expect(await f.store.due(NOW, 10)).toEqual([{ sessionId: 's3', id: 'm1', dueAt: NOW }]);
    expect(succeeded('UpdateItemCommand')).toHaveLength(1);
    expect(await markersOf()).toEqual([]);
    await f.store.deleteMany([lateAck]);
    expect(await f.store.due(NOW + 50_000, 10)).toEqual([
      { sessionId: 's2', id: 'm1', dueAt: NOW + 40_000 },
      { sessionId: 's1', id: 'm1', dueAt: NOW + 50_000 },
    ]);
  });

  it('an ack between the marker’s read and the promotion: the promotion’s condition fails, nothing comes back to life', async () => {
    const e = entry('s1', 'm1', NOW);
    await f.store.putMany([e]);
    // The entry is acked right after the marker's entries were read.
    f.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'BatchGetItemCommand') await f.store.deleteMany([e]);
        return result;
      },
      { step: 'initialize', name: 'ackAfterRead' },
    );
    try {
      expect(await f.store.due(NOW, 10)).toEqual([]);
    } finally {
      f.doc.middlewareStack.remove('ackAfterRead');
    }
    expect(f.recorded.filter((r) => r.command === 'UpdateItemCommand').map((r) => r.error)).toEqual(['ConditionalCheckFailedException']);
    expect(await f.items('pending')).toEqual([]);
  });

  it('two sweeps on one marker promote each entry once; a marker left by a crash is skipped and deleted', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => entry(`s${i}`, 'm1', NOW));
    await f.store.putMany(entries);
    f.recorded.length = 0;
    const [a, b] = await Promise.all([f.store.due(NOW, 100), f.otherStore().due(NOW, 100)]);
    expect(new Set([...a!, ...b!].map((k) => k.sessionId)).size).toBe(20);
    expect(succeeded('UpdateItemCommand')).toHaveLength(20);

    // A sweep that died between its promotions and the marker's delete left the marker behind.
    const [first] = entries;
    await f.doc.send(new PutCommand({ TableName: f.names.pending, Item: { sessionId: `due#${dueShardOf(first!, SHARDS)}`, id: `00${NOW}#m1#s0`, sessions: entries.map((e) => e.sessionId), expiresAt: Math.ceil(first!.expiresAt / 1000), expiresAtMs: first!.expiresAt } }));
    f.recorded.length = 0;
    await f.store.due(NOW, 100);
    expect(f.recorded.filter((r) => r.command === 'UpdateItemCommand')).toEqual([]);
    expect(await markersOf()).toEqual([]);
  });

  it('promotes at most its limit, oldest markers first; the markers left are processed by the next call', async () => {
    const oneShard = new DynamoDbPendingStore(f.doc, f.names.pending, { resendShards: 1, messagesTable: f.names.messages });
    const ids = Array.from({ length: 130 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    await oneShard.putMany(ids.map((id, i) => entry('s1', id, NOW - 200 + i)));
    expect(await markersOf()).toHaveLength(130);
    f.recorded.length = 0;

    const first = await oneShard.due(NOW, 5);
    expect(first.map((k) => k.id)).toEqual(['m000', 'm001', 'm002', 'm003', 'm004']);
    // Five promotions for a limit of five, though a page of 100 markers was read; 125 wait.
    expect(f.recorded.filter((r) => r.command === 'UpdateItemCommand')).toHaveLength(5);
    expect(await markersOf()).toHaveLength(125);
    expect((await oneShard.due(NOW, 200)).map((k) => k.id)).toEqual(ids);
    expect(await markersOf()).toEqual([]);
  });

  it('bounds the promotions of one marker too: a fan-out page of unacked entries is promoted a limit at a time, each once', async () => {
    const oneShard = new DynamoDbPendingStore(f.doc, f.names.pending, { resendShards: 1, messagesTable: f.names.messages });
    const sessions = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await oneShard.putMany(sessions.map((s) => entry(s, 'm1', NOW)));
    expect(await markersOf()).toHaveLength(1);
    f.recorded.length = 0;

    const first = await oneShard.due(NOW, 10);
    expect(first).toHaveLength(10);
    expect(succeeded('UpdateItemCommand')).toHaveLength(10);
    // The marker stays whole while entries it lists wait to be promoted.
    expect(await markersOf()).toHaveLength(1);
    // As a sweep would claim them, the entries each call returns are acked before the next call (else it would list them again).
    await oneShard.deleteMany(first);
    const second = await oneShard.due(NOW, 10);
    await oneShard.deleteMany(second);
    const third = await oneShard.due(NOW, 10);
    expect(await markersOf()).toEqual([]);
    expect([...first, ...second, ...third].map((k) => k.sessionId).sort()).toEqual(sessions);
    expect(succeeded('UpdateItemCommand')).toHaveLength(30);
  });

  // One shard, so that all five markers are in one page of due() (several shards' pages are processed together too: below).
  const oneShard = () => new DynamoDbPendingStore(f.doc, f.names.pending, { resendShards: 1, messagesTable: f.names.messages });

  it('reads a session listed by several due markers with one range Query, not a key per entry', async () => {
    const store = oneShard();
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const entries = ids.flatMap((id) => ['s1', 's2'].map((s) => entry(s, id, NOW)));
    for (const id of ids) await store.putMany(entries.filter((e) => e.id === id));
    // s1 acked all but m3, s2 all but m1 and m5.
    await store.deleteMany(entries.filter((e) => !['s1/m3', 's2/m1', 's2/m5'].includes(`${e.sessionId}/${e.id}`)));
    expect(await markersOf()).toHaveLength(5);
    f.recorded.length = 0;

    expect((await store.due(NOW, 100)).map((k) => `${k.sessionId}/${k.id}`).sort()).toEqual(['s1/m3', 's2/m1', 's2/m5']);
    expect(f.recorded.filter((r) => r.command === 'BatchGetItemCommand')).toEqual([]);
    const ranges = f.recorded.filter((r) => r.command === 'QueryCommand' && (r.input.ExpressionAttributeValues as Record<string, unknown>)[':session'] !== undefined);
    expect(ranges.map((r) => r.input.ExpressionAttributeValues).sort((a, b) => String((a as Item)[':session']).localeCompare(String((b as Item)[':session'])))).toEqual([
      { ':session': 's1', ':first': 'm1', ':last': 'm5' },
      { ':session': 's2', ':first': 'm1', ':last': 'm5' },
    ]);
    expect(ranges.every((r) => r.input.ConsistentRead === false)).toBe(true);
    expect(await markersOf()).toEqual([]);
  });

  it('processes every shard’s due markers together: a session listed by markers on several shards is one range Query', async () => {
    const store = new DynamoDbPendingStore(f.doc, f.names.pending, { resendShards: 4, messagesTable: f.names.messages });
    // Fan-outs to s1 and s2 until the markers sit on more than one shard (a marker's shard is its first entry's).
    const ids: string[] = [];
    for (let i = 0; new Set(ids.map((id) => dueShardOf({ sessionId: 's1', id }, 4))).size < 3; i++) ids.push(`m${String(i).padStart(2, '0')}`);
    for (const id of ids) await store.putMany(['s1', 's2'].map((s) => entry(s, id, NOW)));
    f.recorded.length = 0;

    expect((await store.due(NOW, 100)).length).toBe(2 * ids.length);
    const ranges = f.recorded.filter((r) => r.command === 'QueryCommand' && (r.input.ExpressionAttributeValues as Record<string, unknown>)[':session'] !== undefined);
    expect(ranges.map((r) => (r.input.ExpressionAttributeValues as Item)[':session']).sort()).toEqual(['s1', 's2']);
    expect(f.recorded.filter((r) => r.command === 'BatchGetItemCommand')).toEqual([]);
    expect(await markersOf()).toEqual([]);
  });

  it('a range Query stops at its limit when other entries sort in between; the keys past it are read by key', async () => {
    const store = oneShard();
    // s1's first sends m1 and m9, with 20 indexed entries of its own sorting between them.
    for (const id of ['m1', 'm9']) await store.putMany([entry('s1', id, NOW)]);
    await store.putMany(Array.from({ length: 20 }, (_, i) => entry('s1', `m5-${String(i).padStart(2, '0')}`, NOW + 60_000, { held: true, attempts: 0 })));
    f.recorded.length = 0;

    expect((await store.due(NOW, 100)).map((k) => k.id).sort()).toEqual(['m1', 'm9']);
    const [range] = f.recorded.filter((r) => r.command === 'QueryCommand' && (r.input.ExpressionAttributeValues as Record<string, unknown>)[':session'] === 's1');
    expect(range?.input.Limit).toBe(8);
    expect(range?.count).toBe(8);
    const [get, ...more] = f.recorded.filter((r) => r.command === 'BatchGetItemCommand');
    expect(more).toEqual([]);
    expect(Object.values(get!.input.RequestItems as Record<string, { Keys: Item[] }>)[0]?.Keys).toEqual([{ sessionId: 's1', id: 'm9' }]);
    // The held entries are the index's, at their own time: none comes due early.
    expect((await store.due(NOW + 59_999, 100)).map((k) => k.id).sort()).toEqual(['m1', 'm9']);
  });

  it('putAbsent indexes what it stores, and writes no marker', async () => {
    const { stored } = await f.store.putAbsent([entry('s1', 'm1', NOW), entry('s2', 'm1', NOW)], NOW);
    expect(stored).toHaveLength(2);
    expect(await markersOf()).toEqual([]);
    for (const item of await entriesOf()) expect(item.dueShard).toBe(dueShardOf(item as { sessionId: string; id: string }, SHARDS));
  });

  it('a dead-letter tombstone (deleteIf) never carries dueShard', async () => {
    const e = entry('s1', 'm1', NOW, { qos: 2, attempts: 3 });
    await f.store.putMany([e]);
    expect(await f.store.deleteIf(e, NOW, e.deadlineAt)).toBe(true);
    expect(await entriesOf()).toEqual([{ sessionId: 's1', id: 'm1', done: true, expiresAt: Math.ceil(e.deadlineAt / 1000), expiresAtMs: e.deadlineAt }]);
  });
});
