import { beforeEach, describe, expect, it } from 'vitest';
import type { PendingEntry } from '../../lambdas/core/types.js';
import type { Stores } from '../../lambdas/ports/index.js';

/**
 * PendingStore.putFirstSends and acknowledge, part of the store contract: what holds whether an
 * adapter lists a fan-out's first sends at once (in memory; DynamoDB with `firstSends:
 * reference`) or only once they are due (DynamoDB with `firstSends: marker`). So nothing here
 * reads a first send before due() listed it.
 */

const T0 = 4_000_000_000_000;
const SECOND = 1000;
const LATER = T0 + 3_600_000;

/** A server id as app/ids.ts makes them (the time first, then 8 hex, then the QoS 1 mark). */
function serverId(time: number, n: number): string {
  return `${time.toString(36)}${n.toString(16).padStart(8, '0')}:1`;
}

const SENT_AT = T0 - 10 * SECOND;
const M1 = serverId(SENT_AT, 1);
const M2 = serverId(SENT_AT + SECOND, 2);

/** A connected recipient's first send, as a fan-out stores it. */
function firstSend(sessionId: string, id: string = M1, overrides: Partial<PendingEntry> = {}): PendingEntry {
  return {
    sessionId,
    id,
    connectionId: `conn-of-${sessionId}`,
    sessionKind: 'persistent',
    format: 'json',
    controller: 'monitor',
    topic: 'temp',
    data: { reading: 25.3, id },
    qos: 1,
    state: 'sent',
    parked: false,
    sent: true,
    attempts: 1,
    createdAt: SENT_AT,
    deadlineAt: T0 + 86_400_000,
    dueAt: T0,
    expiresAt: T0 + 2 * 86_400_000,
    ...overrides,
  };
}

const keyOf = (e: PendingEntry) => ({ sessionId: e.sessionId, id: e.id, dueAt: e.dueAt });

export function describeFirstSendsContract(label: string, makeStores: () => Promise<Stores>): void {
  describe(`${label}: PendingStore first sends and acknowledge`, () => {
    let stores: Stores;
    beforeEach(async () => {
      stores = await makeStores();
    });

    it('an unacknowledged first send is due at its dueAt, then read whole and claimed as any entry', async () => {
      const entries = ['s1', 's2', 's3'].map((s) => firstSend(s));
      await stores.pending.putFirstSends(entries);
      expect(await stores.pending.due(T0 - 1, 10)).toEqual([]);
      expect(await stores.pending.due(T0, 10)).toEqual(entries.map(keyOf));
      expect(await stores.pending.getMany(entries, T0)).toEqual(entries);
      const claimed = { ...(entries[0] as PendingEntry), attempts: 2, dueAt: T0 + 20 * SECOND };
      expect(await stores.pending.replaceIf(claimed, T0)).toEqual(claimed);
      expect(await stores.pending.due(T0 + SECOND, 10)).toEqual(entries.slice(1).map(keyOf));
      expect(await stores.pending.ofSession('s1', T0 + SECOND)).toEqual([claimed]);
    });

    it('an acknowledged first send is never due nor listed; the rest of its delivery still is', async () => {
      const entries = ['s1', 's2', 's3'].map((s) => firstSend(s));
      await stores.pending.putFirstSends(entries);
      await stores.pending.acknowledge('s2', [M1], T0 - 5 * SECOND);
      expect(await stores.pending.due(T0, 10)).toEqual([keyOf(entries[0]!), keyOf(entries[2]!)]);
      expect(await stores.pending.ofSession('s2', T0)).toEqual([]);
      expect(await stores.pending.getMany([entries[1]!], T0)).toEqual([]);
      expect(await stores.pending.due(LATER, 10)).not.toContainEqual(expect.objectContaining({ sessionId: 's2' }));
    });

    it('acknowledge ends only the ids and the session it names', async () => {
      await stores.pending.putFirstSends([firstSend('s1', M1), firstSend('s1', M2), firstSend('s2', M1)]);
      await stores.pending.acknowledge('s1', [M2, M2, serverId(SENT_AT, 99), 'not-a-server-id:1'], T0 - SECOND);
      await stores.pending.acknowledge('s1', [], T0 - SECOND);
      expect(await stores.pending.due(T0, 10)).toEqual([keyOf(firstSend('s1', M1)), keyOf(firstSend('s2', M1))]);
    });

    it('acknowledge ends entries putMany stored (held, parked), which every read lists until then', async () => {
      const held = firstSend('s1', M1, { held: true, attempts: 0, dueAt: T0 + 86_400_000 });
      const parked = firstSend('s1', M2, { parked: true, connectionId: undefined, dueAt: T0 + 86_400_000 });
      const { connectionId: _gone, ...parkedEntry } = parked;
      await stores.pending.putMany([held, parkedEntry]);
      expect(await stores.pending.ofSession('s1', T0)).toEqual([held, parkedEntry]);
      await stores.pending.acknowledge('s1', [M1, M2], T0);
      expect(await stores.pending.ofSession('s1', T0)).toEqual([]);
      expect(await stores.pending.due(LATER + 86_400_000, 10)).toEqual([]);
    });

    it('putFirstSends stores what is not a first send (held, a later attempt, QoS 2) as putMany does: listed at once', async () => {
      const held = firstSend('s1', M1, { held: true, attempts: 0, dueAt: T0 + 86_400_000 });
      const retried = firstSend('s2', M1, { attempts: 2 });
      const qos2 = firstSend('s3', `${M1.slice(0, -2)}:2`, { qos: 2 });
      await stores.pending.putFirstSends([held, retried, qos2]);
      expect(await stores.pending.ofSession('s1', T0)).toEqual([held]);
      expect(await stores.pending.ofSession('s2', T0)).toEqual([retried]);
      expect(await stores.pending.ofSession('s3', T0)).toEqual([qos2]);
    });

    it('a first send due at once to two sweeps is listed to at least one, and claimed by exactly one', async () => {
      await stores.pending.putFirstSends([firstSend('s1')]);
      const [a, b] = await Promise.all([stores.pending.due(T0, 10), stores.pending.due(T0, 10)]);
      const listed = [...(a ?? []), ...(b ?? [])];
      expect(listed.length).toBeGreaterThanOrEqual(1);
      const [entry] = await stores.pending.getMany([firstSend('s1')], T0);
      const claims = await Promise.all(listed.map((key, i) => stores.pending.replaceIf({ ...entry!, attempts: 2, dueAt: T0 + (i + 1) * SECOND }, key.dueAt)));
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    });
  });
}
