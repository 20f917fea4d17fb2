import { beforeEach, describe, expect, it } from 'vitest';
import type {
  ConnectionRecord,
  DeadLetter,
  InboundRecord,
  PendingEntry,
  RetainedMessage,
  SessionRecord,
  Subscription,
} from '../../lambdas/core/types.js';
import type { SessionMember } from '../../lambdas/ports/connection-store.js';
import type { Stores } from '../../lambdas/ports/index.js';
import { subscriptionOf } from './subscription-fixture.js';
import { describeAudiencePageContract } from './audience-page-contract.js';
import { describeFilterContract } from './filter-contract.js';
import { describeHistoryContract } from './history-contract.js';
import { describeFirstSendsContract } from './first-sends-contract.js';

/**
 * The store contract: what every implementation of the six store ports must do, run on the
 * in-memory stores and on the DynamoDB stores alike (as aedes-persistence's abstract suite).
 * A fresh, empty set of stores for every test; times are fixed numbers, never a clock.
 */
export interface StoreContractOptions {
  /** The page size the fan-out reads were configured with, so paging can be asserted. */
  pageSize: number;
}

/**
 * Far in the future on purpose: DynamoDB Local runs TTL deletion against the wall clock (an
 * item whose `expiresAt` seconds have passed vanishes within about a second), so a fixed time
 * in the past would let storage delete fixtures mid-test. Expiry here is relative to `now` only.
 */
const T0 = 4_000_000_000_000;
const SECOND = 1000;
const HOUR = 3_600_000;
const LATER = T0 + HOUR;

/** JSON a client may publish; each must come back exactly. */
export const DATA_SAMPLES: unknown[] = [
  25.3,
  0,
  -1.5e-10,
  0.1 + 0.2,
  Number.MAX_SAFE_INTEGER,
  'text',
  '',
  'ünïcødé ✓ 😀 日本語',
  'quotes " and \\ and | and #',
  true,
  false,
  null,
  [],
  {},
  { nested: { list: [1, 'b', null, { deep: [] }], empty: '' } },
  [0, '', {}, [], null],
];

export function describeStoreContract(
  label: string,
  makeStores: () => Promise<Stores>,
  options: StoreContractOptions,
): void {
  describe(`${label}: store contract`, () => {
    describeAudiencePageContract(label, makeStores);
    describeFilterContract(label, makeStores);
    describeHistoryContract(label, makeStores);
    describeFirstSendsContract(label, makeStores);
    let stores: Stores;
    beforeEach(async () => {
      stores = await makeStores();
    });

    describe('ConnectionStore', () => {
      it('put then get round-trips the record; an unknown id is undefined', async () => {
        const record = connection('c1', { controllers: ['monitor', 'sensor'] });
        await stores.connections.put(record);
        expect(await stores.connections.get('c1', T0)).toEqual(record);
        expect(await stores.connections.get('nope', T0)).toBeUndefined();
      });

      it('get ignores an expired connection (live up to and including expiresAt)', async () => {
        await stores.connections.put(connection('c1', { expiresAt: T0 + SECOND }));
        expect(await stores.connections.get('c1', T0 + SECOND)).toBeDefined();
        expect(await stores.connections.get('c1', T0 + SECOND + 1)).toBeUndefined();
      });

      it('membersOf finds the connections with the controller open, as Recipients, and no others', async () => {
        await stores.connections.put(connection('c1', { sessionId: 's1', controllers: ['monitor'] }));
        await stores.connections.put(
          connection('c2', { sessionId: 'dev-7', claimedQos: 2, format: 'text', controllers: ['monitor', 'sensor'] }),
        );
        await stores.connections.put(connection('c3', { controllers: ['sensor'] }));

        const members = sortBy(await flatten(stores.connections.membersOf('monitor', T0)), 'connectionId');
        expect(members).toStrictEqual([
          { sessionId: 's1', connectionId: 'c1', sessionKind: 'clean', claimedQos: 1, format: 'json' },
          { sessionId: 'dev-7', connectionId: 'c2', sessionKind: 'clean', claimedQos: 2, format: 'text' },
        ]);
        expect(await flatten(stores.connections.membersOf('nobody', T0))).toEqual([]);
      });

      it('membersOf ignores expired connections', async () => {
        await stores.connections.put(connection('old', { controllers: ['monitor'], expiresAt: T0 - 1 }));
        await stores.connections.put(connection('new', { controllers: ['monitor'] }));
        expect((await flatten(stores.connections.membersOf('monitor', T0))).map((r) => r.connectionId)).toEqual(['new']);
      });

      it('membersOf hands out more than one page and every member exactly once', async () => {
        const count = options.pageSize * 2 + 10;
        const ids = Array.from({ length: count }, (_, i) => `conn-${String(i).padStart(4, '0')}`);
        await Promise.all(ids.map((id) => stores.connections.put(connection(id, { controllers: ['monitor'] }))));

        const pages = await collect(stores.connections.membersOf('monitor', T0));
        expect(pages.length).toBeGreaterThanOrEqual(2);
        for (const page of pages) {
          expect(page.length).toBeGreaterThan(0);
          expect(page.length).toBeLessThanOrEqual(options.pageSize);
        }
        expect(pages.flat().map((r) => r.connectionId).sort()).toEqual(ids);
      });

      it('openControllers adds controllers once, keeps the order, and makes the connection a member', async () => {
        const record = connection('c1', { controllers: ['monitor'] });
        await stores.connections.put(record);
        await stores.connections.openControllers(record, ['sensor', 'monitor', 'sensor']);
        await stores.connections.openControllers(record, ['sensor']);

        expect((await stores.connections.get('c1', T0))?.controllers).toEqual(['monitor', 'sensor']);
        expect((await flatten(stores.connections.membersOf('sensor', T0))).map((r) => r.connectionId)).toEqual(['c1']);
        expect((await flatten(stores.connections.membersOf('monitor', T0))).map((r) => r.connectionId)).toEqual(['c1']);
      });

      it('openControllers from a stale copy keeps what another frame opened meanwhile', async () => {
        const record = connection('c1', { controllers: [] });
        await stores.connections.put(record);
        await stores.connections.openControllers(record, ['a']);
        await stores.connections.openControllers(record, ['b']); // record still says []
        expect((await stores.connections.get('c1', T0))?.controllers).toEqual(['a', 'b']);
      });

      it('openControllers on a connection that is gone stores nothing', async () => {
        await stores.connections.openControllers(connection('gone'), ['monitor']);
        expect(await stores.connections.get('gone', T0)).toBeUndefined();
        expect(await flatten(stores.connections.membersOf('monitor', T0))).toEqual([]);
      });

      it('delete removes the connection and all its memberships, including ones opened later; idempotent', async () => {
        const record = connection('c1', { controllers: ['monitor'] });
        await stores.connections.put(record);
        await stores.connections.put(connection('c2', { controllers: ['monitor'] }));
        await stores.connections.openControllers(record, ['sensor']);

        await stores.connections.delete(record); // its copy does not know 'sensor'
        await stores.connections.delete(record);

        expect(await stores.connections.get('c1', T0)).toBeUndefined();
        expect((await flatten(stores.connections.membersOf('monitor', T0))).map((r) => r.connectionId)).toEqual(['c2']);
        expect(await flatten(stores.connections.membersOf('sensor', T0))).toEqual([]);
        expect(await stores.connections.get('c2', T0)).toBeDefined();
      });

      it('putSession/getSession round-trip, with and without a connection; expired is undefined', async () => {
        const serving = session('dev-7', { connectionId: 'c1' });
        const away: SessionRecord = { sessionId: 'dev-8', sessionKind: 'persistent', claimedQos: 2, format: 'text', expiresAt: LATER };
        await stores.connections.putSession(serving);
        await stores.connections.putSession(away);

        expect(await stores.connections.getSession('dev-7', T0)).toEqual(serving);
        const readAway = await stores.connections.getSession('dev-8', T0);
        expect(readAway).toEqual(away);
        expect(readAway && 'connectionId' in readAway).toBe(false);
        expect(await stores.connections.getSession('dev-7', LATER + 1)).toBeUndefined();
        expect(await stores.connections.getSession('unknown', T0)).toBeUndefined();
      });

      it('putSessionIf writes only if the session is still as seen: none, away, or served by the same connection', async () => {
        // None live: absent, or expired but not deleted yet.
        expect(await stores.connections.putSessionIf(session('dev-7', { connectionId: 'c1' }), undefined, T0)).toBe(true);
        expect(await stores.connections.putSessionIf(session('dev-7', { connectionId: 'c9' }), undefined, T0)).toBe(false);
        expect(await stores.connections.putSessionIf(session('dev-7', { connectionId: 'c2', expiresAt: LATER + HOUR }), undefined, LATER + 1)).toBe(true);
        // Served: only by the connection seen. Two takeovers that read c2 never both win.
        const byC3 = session('dev-7', { connectionId: 'c3' });
        const byC4 = session('dev-7', { connectionId: 'c4' });
        const results = await Promise.all([byC3, byC4].map((s) => stores.connections.putSessionIf(s, { connectionId: 'c2' }, T0)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results[0] ? byC3 : byC4;
        expect(await stores.connections.getSession('dev-7', T0)).toEqual(winner);
        expect(await stores.connections.putSessionIf(session('dev-7', { connectionId: 'c5' }), {}, T0)).toBe(false);
        // Away: only while it is away.
        const away: SessionRecord = { sessionId: 'dev-8', sessionKind: 'persistent', claimedQos: 2, format: 'text', expiresAt: LATER };
        await stores.connections.putSession(away);
        expect(await stores.connections.putSessionIf(session('dev-8', { connectionId: 'c6' }), { connectionId: 'c1' }, T0)).toBe(false);
        expect(await stores.connections.putSessionIf(session('dev-8', { connectionId: 'c6' }), {}, T0)).toBe(true);
        expect(await stores.connections.putSessionIf(session('dev-8', { connectionId: 'c7' }), {}, T0)).toBe(false);
        expect(await stores.connections.getSession('dev-8', T0)).toEqual(session('dev-8', { connectionId: 'c6' }));
      });

      it('putIfServing stores the connection, and a clean one its memberships, only while its session names it; else nothing', async () => {
        const mine = connection('c1', { sessionId: 'dev-7', controllers: ['monitor'] });
        // No session, or one served by another connection, or an expired one naming it: nothing written.
        expect(await stores.connections.putIfServing(mine, T0)).toBe(false);
        await stores.connections.putSession(session('dev-7', { connectionId: 'c2' }));
        expect(await stores.connections.putIfServing(mine, T0)).toBe(false);
        await stores.connections.putSession(session('dev-7', { connectionId: 'c1', expiresAt: T0 + 1 }));
        expect(await stores.connections.putIfServing(mine, T0 + 2)).toBe(false);
        expect(await stores.connections.get('c1', T0)).toBeUndefined();
        expect(await flatten(stores.connections.membersOf('monitor', T0))).toEqual([]);

        await stores.connections.putSession(session('dev-7', { connectionId: 'c1' }));
        expect(await stores.connections.putIfServing(mine, T0)).toBe(true);
        expect(await stores.connections.get('c1', T0)).toEqual(mine);
        expect((await flatten(stores.connections.membersOf('monitor', T0))).map((r) => r.connectionId)).toEqual(['c1']);
      });

      it('detachSession only while the connection still serves the session', async () => {
        await stores.connections.putSession(session('dev-7', { connectionId: 'c2' }));

        expect(await stores.connections.detachSession('dev-7', 'c1', T0 + 2 * HOUR)).toBe(false);
        expect(await stores.connections.getSession('dev-7', T0)).toEqual(session('dev-7', { connectionId: 'c2' }));

        expect(await stores.connections.detachSession('dev-7', 'c2', T0 + 2 * HOUR)).toBe(true);
        const detached = await stores.connections.getSession('dev-7', T0);
        expect(detached).toEqual({ ...session('dev-7'), expiresAt: T0 + 2 * HOUR });
        expect(detached && 'connectionId' in detached).toBe(false);

        expect(await stores.connections.detachSession('dev-7', 'c2', T0 + 3 * HOUR)).toBe(false);
        expect(await stores.connections.detachSession('unknown', 'c2', T0 + 3 * HOUR)).toBe(false);
        expect(await stores.connections.getSession('unknown', T0)).toBeUndefined();
      });

      it('deleteSession only while the connection still serves the session', async () => {
        await stores.connections.putSession(session('dev-7', { connectionId: 'c2' }));
        expect(await stores.connections.deleteSession('dev-7', 'c1')).toBe(false);
        expect(await stores.connections.getSession('dev-7', T0)).toBeDefined();
        expect(await stores.connections.deleteSession('dev-7', 'c2')).toBe(true);
        expect(await stores.connections.getSession('dev-7', T0)).toBeUndefined();
        expect(await stores.connections.deleteSession('dev-7', 'c2')).toBe(false);
      });

      it('session operations leave other sessions alone', async () => {
        await stores.connections.putSession(session('a', { connectionId: 'c1' }));
        await stores.connections.putSession(session('b', { connectionId: 'c1' }));
        await stores.connections.detachSession('a', 'c1', LATER);
        await stores.connections.deleteSession('a', 'c1');
        expect(await stores.connections.getSession('b', T0)).toEqual(session('b', { connectionId: 'c1' }));
      });
    });

    describe('ConnectionStore: the last will and the end of a connection (PROTOCOL §9)', () => {
      const will = { controller: 'monitor', topic: 'status/dev-7', data: { state: 'offline', at: [1, ''] }, qos: 1 as const, retain: true };
      const STALE = T0 - 15 * 60 * SECOND;

      it('a will given with the record round-trips, every data sample exactly', async () => {
        for (const [index, data] of DATA_SAMPLES.entries()) {
          const record = connection(`w${index}`, { will: { ...will, data } });
          await stores.connections.put(record);
          expect(await stores.connections.get(`w${index}`, T0)).toEqual(record);
        }
      });

      it('setWill sets, replaces and clears the will of a live record; on no record it returns false', async () => {
        await stores.connections.put(connection('c1'));
        expect(await stores.connections.setWill('c1', will, T0)).toBe(true);
        expect((await stores.connections.get('c1', T0))?.will).toEqual(will);
        expect(await stores.connections.setWill('c1', { ...will, topic: 'other', qos: 0, retain: false }, T0)).toBe(true);
        expect((await stores.connections.get('c1', T0))?.will).toEqual({ ...will, topic: 'other', qos: 0, retain: false });
        expect(await stores.connections.setWill('c1', undefined, T0)).toBe(true);
        expect((await stores.connections.get('c1', T0))?.will).toBeUndefined();
        expect(await stores.connections.setWill('nope', will, T0)).toBe(false);
        expect(await stores.connections.get('nope', T0)).toBeUndefined();
      });

      it('claimEnd takes the end once: the first gets the record with its will, the will is gone, a second gets nothing', async () => {
        await stores.connections.put(connection('c1', { sessionId: 'dev-7', will }));
        const [first, second] = await Promise.all([stores.connections.claimEnd('c1', T0, STALE), stores.connections.claimEnd('c1', T0, STALE)]);
        const taken = [first, second].filter((r) => r !== undefined);
        expect(taken).toEqual([connection('c1', { sessionId: 'dev-7', will })]);
        expect(await stores.connections.claimEnd('c1', T0 + SECOND, STALE)).toBeUndefined();
        expect((await stores.connections.get('c1', T0))?.will).toBeUndefined();
        // The record stays until it is deleted (its session's cleanup may still need it).
        expect(await stores.connections.get('c1', T0)).toBeDefined();
      });

      it('claimEnd may take again an end taken before staleBefore (its ender died), never a fresh one', async () => {
        await stores.connections.put(connection('c1', { will }));
        expect(await stores.connections.claimEnd('c1', T0, STALE)).toBeDefined();
        expect(await stores.connections.claimEnd('c1', T0 + SECOND, T0)).toBeUndefined();
        const again = await stores.connections.claimEnd('c1', T0 + HOUR, T0 + 1);
        expect(again).toBeDefined();
        // The will went with the first take.
        expect(again?.will).toBeUndefined();
      });

      it('claimEnd on no record, or an expired one, takes nothing', async () => {
        await stores.connections.put(connection('old', { will, expiresAt: T0 - 1 }));
        expect(await stores.connections.claimEnd('old', T0, STALE)).toBeUndefined();
        expect(await stores.connections.claimEnd('nope', T0, STALE)).toBeUndefined();
        expect(await stores.connections.get('nope', T0)).toBeUndefined();
      });

      it('after claimEnd no will can be set (nobody would publish it)', async () => {
        await stores.connections.put(connection('c1'));
        await stores.connections.claimEnd('c1', T0, STALE);
        expect(await stores.connections.setWill('c1', will, T0)).toBe(false);
        expect((await stores.connections.get('c1', T0))?.will).toBeUndefined();
      });

      it('markDisconnecting drops the will and marks the record; the taker sees it; no will can be set after', async () => {
        await stores.connections.put(connection('c1', { will }));
        await stores.connections.markDisconnecting('c1');
        expect(await stores.connections.get('c1', T0)).toEqual(connection('c1', { disconnecting: true }));
        expect(await stores.connections.setWill('c1', will, T0)).toBe(false);
        expect(await stores.connections.claimEnd('c1', T0, STALE)).toEqual(connection('c1', { disconnecting: true }));
      });

      it('markDisconnecting on a gone connection writes nothing back', async () => {
        await stores.connections.markDisconnecting('nope');
        expect(await stores.connections.get('nope', T0)).toBeUndefined();
        expect(await stores.connections.claimEnd('nope', T0, STALE)).toBeUndefined();
      });

      it('delete removes a will with the record, and a claim with it', async () => {
        await stores.connections.put(connection('c1', { will }));
        await stores.connections.claimEnd('c1', T0, STALE);
        await stores.connections.delete({ connectionId: 'c1', controllers: [] });
        expect(await stores.connections.get('c1', T0)).toBeUndefined();
        expect(await stores.connections.claimEnd('c1', T0, STALE)).toBeUndefined();
      });
    });

    describe('ConnectionStore: a persistent session’s controller memberships', () => {
      const member = (sessionId: string, connectionId: string, overrides: Partial<SessionMember> = {}): SessionMember => ({
        sessionId,
        connectionId,
        sessionKind: 'persistent',
        claimedQos: 1,
        format: 'json',
        expiresAt: LATER,
        ...overrides,
      });
      const serving = async (sessionId: string, connectionId: string) =>
        stores.connections.putSession(session(sessionId, { connectionId }));

      it('openSessionControllers makes the session a member, found by membersOf next to connections; idempotent', async () => {
        await serving('dev-7', 'c1');
        await stores.connections.put(connection('c9'));
        expect(await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor', 'sensor', 'monitor'])).toBe(true);
        expect(await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor'])).toBe(true);

        const members = sortBy(await flatten(stores.connections.membersOf('monitor', T0)), 'sessionId');
        expect(members).toStrictEqual([
          { sessionId: 'c9', connectionId: 'c9', sessionKind: 'clean', claimedQos: 1, format: 'json' },
          { sessionId: 'dev-7', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 1, format: 'json' },
        ]);
        expect(await stores.connections.sessionControllers('dev-7', T0)).toStrictEqual([
          { sessionId: 'dev-7', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 1, format: 'json', controller: 'monitor', expiresAt: LATER },
          { sessionId: 'dev-7', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 1, format: 'json', controller: 'sensor', expiresAt: LATER },
        ]);
      });

      it('openSessionControllers writes nothing unless the connection serves the session', async () => {
        await serving('dev-7', 'c2');
        expect(await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor'])).toBe(false);
        expect(await stores.connections.openSessionControllers(member('nobody', 'c1'), ['monitor'])).toBe(false);
        // With no controllers to open it still answers whether the connection serves the session.
        expect(await stores.connections.openSessionControllers(member('dev-7', 'c1'), [])).toBe(false);
        expect(await stores.connections.openSessionControllers(member('dev-7', 'c2'), [])).toBe(true);
        expect(await flatten(stores.connections.membersOf('monitor', T0))).toEqual([]);
        expect(await stores.connections.sessionControllers('dev-7', T0)).toEqual([]);
      });

      it('a persistent connection’s put and delete leave the session’s memberships alone', async () => {
        await serving('dev-7', 'c1');
        const persistent = connection('c1', { sessionId: 'dev-7', sessionKind: 'persistent' });
        await stores.connections.put(persistent);
        // Its own list is kept, but the memberships are the session's: none until opened for the session.
        expect(await stores.connections.get('c1', T0)).toEqual(persistent);
        expect(await flatten(stores.connections.membersOf('monitor', T0))).toEqual([]);
        await stores.connections.openControllers(persistent, ['sensor']);
        expect(await flatten(stores.connections.membersOf('sensor', T0))).toEqual([]);

        await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor']);
        await stores.connections.delete(persistent);
        expect(await stores.connections.get('c1', T0)).toBeUndefined();
        expect((await flatten(stores.connections.membersOf('monitor', T0))).map((r) => r.sessionId)).toEqual(['dev-7']);
      });

      it('detachSessionControllers points at none only what still points at the ending connection', async () => {
        await serving('dev-7', 'c1');
        await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor', 'sensor']);
        await serving('other', 'c1');
        await stores.connections.openSessionControllers(member('other', 'c1'), ['monitor']);

        await stores.connections.detachSessionControllers('dev-7', 'c0', T0 + 5 * HOUR, T0);
        expect((await stores.connections.sessionControllers('dev-7', T0)).map((m) => m.connectionId)).toEqual(['c1', 'c1']);

        await stores.connections.detachSessionControllers('dev-7', 'c1', T0 + 5 * HOUR, T0);
        const away = await stores.connections.sessionControllers('dev-7', T0 + 4 * HOUR);
        expect(away.map((m) => [m.controller, 'connectionId' in m, m.expiresAt])).toEqual([
          ['monitor', false, T0 + 5 * HOUR],
          ['sensor', false, T0 + 5 * HOUR],
        ]);
        // Away: still a member, a Recipient without connectionId (fan-out parks QoS 1/2, drops QoS 0).
        expect(sortBy(await flatten(stores.connections.membersOf('monitor', T0)), 'sessionId')).toStrictEqual([
          { sessionId: 'dev-7', sessionKind: 'persistent', claimedQos: 1, format: 'json' },
          { sessionId: 'other', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 1, format: 'json' },
        ]);
        // Until the session TTL, like its subscriptions.
        expect(await flatten(stores.connections.membersOf('sensor', T0 + 5 * HOUR + 1))).toEqual([]);
      });

      it('attachSessionControllers re-points the live memberships at the new connection, only while it serves the session', async () => {
        await serving('dev-7', 'c1');
        await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor']);
        await stores.connections.openSessionControllers(member('dev-7', 'c1', { expiresAt: T0 - 1 }), ['old']);
        await stores.connections.detachSessionControllers('dev-7', 'c1', T0 + 2 * HOUR, T0);

        expect(await stores.connections.attachSessionControllers(member('dev-7', 'c2', { claimedQos: 2, format: 'text' }), T0)).toEqual([]);
        await serving('dev-7', 'c2');
        expect(await stores.connections.attachSessionControllers(member('dev-7', 'c2', { claimedQos: 2, format: 'text', expiresAt: T0 + 6 * HOUR }), T0)).toEqual(['monitor']);
        expect(await flatten(stores.connections.membersOf('monitor', T0 + 5 * HOUR))).toStrictEqual([
          { sessionId: 'dev-7', connectionId: 'c2', sessionKind: 'persistent', claimedQos: 2, format: 'text' },
        ]);
        // The expired one was not brought back to life.
        expect(await flatten(stores.connections.membersOf('old', T0))).toEqual([]);

        // The old connection's late cleanup changes nothing now.
        await stores.connections.detachSessionControllers('dev-7', 'c1', T0 + 2 * HOUR, T0);
        expect((await stores.connections.sessionControllers('dev-7', T0)).map((m) => m.connectionId)).toEqual(['c2']);
      });

      it('deleteSessionControllers removes every membership of the session and nothing else', async () => {
        await serving('dev-7', 'c1');
        await serving('other', 'c3');
        await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor', 'sensor']);
        await stores.connections.openSessionControllers(member('other', 'c3'), ['monitor']);
        await stores.connections.deleteSessionControllers('dev-7', T0);
        expect(await stores.connections.sessionControllers('dev-7', T0)).toEqual([]);
        expect(await flatten(stores.connections.membersOf('sensor', T0))).toEqual([]);
        expect((await flatten(stores.connections.membersOf('monitor', T0))).map((r) => r.sessionId)).toEqual(['other']);
        // The session record itself is not a membership and stays.
        expect(await stores.connections.getSession('dev-7', T0)).toBeDefined();
      });
    });

    describe('ConnectionStore: lazy flow control’s backlog flag (issue 13)', () => {
      const member = (sessionId: string, connectionId: string): SessionMember => ({
        sessionId,
        connectionId,
        sessionKind: 'persistent',
        claimedQos: 1,
        format: 'json',
        expiresAt: LATER,
      });
      const flagsOf = async (controller: string) =>
        Object.fromEntries((await flatten(stores.connections.membersOf(controller, T0))).map((r) => [r.sessionId, r.backlogged ?? false]));

      it('a session never flagged reads as not backlogged, epoch 0, with or without a session record', async () => {
        expect(await stores.connections.getBacklog('c1', T0)).toEqual({ backlogged: false, epoch: 0 });
        await stores.connections.putSession(session('dev-7', { connectionId: 'c1' }));
        expect(await stores.connections.getBacklog('dev-7', T0)).toEqual({ backlogged: false, epoch: 0 });
      });

      it('flagBacklog flags and moves the epoch on each time; the flag lives until its expiry', async () => {
        await stores.connections.flagBacklog('s1', T0 + SECOND);
        expect(await stores.connections.getBacklog('s1', T0)).toEqual({ backlogged: true, epoch: 1 });
        await stores.connections.flagBacklog('s1', T0 + SECOND);
        expect(await stores.connections.getBacklog('s1', T0 + SECOND)).toEqual({ backlogged: true, epoch: 2 });
        expect((await stores.connections.getBacklog('s1', T0 + SECOND + 1)).backlogged).toBe(false);
        expect((await stores.connections.getBacklog('other', T0)).backlogged).toBe(false);
      });

      it('clearBacklog takes the flag off only at the epoch the caller saw; a flagging since wins', async () => {
        await stores.connections.flagBacklog('s1', LATER);
        const seen = await stores.connections.getBacklog('s1', T0);
        await stores.connections.flagBacklog('s1', LATER);
        expect(await stores.connections.clearBacklog('s1', seen.epoch)).toBe(false);
        expect((await stores.connections.getBacklog('s1', T0)).backlogged).toBe(true);
        const now = await stores.connections.getBacklog('s1', T0);
        expect(await stores.connections.clearBacklog('s1', now.epoch)).toBe(true);
        // Kept with its epoch: a clear that read an older epoch still loses after a new flagging.
        expect(await stores.connections.getBacklog('s1', T0)).toEqual({ backlogged: false, epoch: now.epoch });
        expect(await stores.connections.clearBacklog('nobody', 0)).toBe(false);
      });

      it('the flag is no session record: getSession and a takeover’s putSessionIf do not see it', async () => {
        await stores.connections.flagBacklog('dev-7', LATER);
        expect(await stores.connections.getSession('dev-7', T0)).toBeUndefined();
        expect(await stores.connections.putSessionIf(session('dev-7', { connectionId: 'c1' }), undefined, T0)).toBe(true);
        expect(await stores.connections.sessionControllers('dev-7', T0)).toEqual([]);
        expect((await stores.connections.getBacklog('dev-7', T0)).backlogged).toBe(true);
      });

      it('markMemberships flags a clean connection’s own memberships, and only the session’s, for membersOf', async () => {
        await stores.connections.put(connection('c1', { controllers: ['monitor', 'sensor'] }));
        await stores.connections.put(connection('c2', { controllers: ['monitor'] }));
        await stores.connections.markMemberships('c1', 'c1', true, T0);
        await stores.connections.markMemberships('c1', 'c1', true, T0);
        expect(await flagsOf('monitor')).toEqual({ c1: true, c2: false });
        expect(await flagsOf('sensor')).toEqual({ c1: true });
        // The record itself carries no flag.
        expect(await stores.connections.get('c1', T0)).toEqual(connection('c1', { controllers: ['monitor', 'sensor'] }));
        await stores.connections.markMemberships('c1', 'c1', false, T0);
        expect(await flagsOf('monitor')).toEqual({ c1: false, c2: false });
        // Unflagged, a recipient has no `backlogged` at all.
        expect((await flatten(stores.connections.membersOf('monitor', T0))).every((r) => !('backlogged' in r))).toBe(true);
      });

      it('markMemberships flags a persistent session’s memberships; a takeover writes them afresh, unflagged', async () => {
        await stores.connections.putSession(session('dev-7', { connectionId: 'c1' }));
        await stores.connections.put(connection('c1', { sessionId: 'dev-7', sessionKind: 'persistent', controllers: ['monitor'] }));
        await stores.connections.openSessionControllers(member('dev-7', 'c1'), ['monitor']);
        await stores.connections.markMemberships('dev-7', 'c1', true, T0);
        expect(await flagsOf('monitor')).toEqual({ 'dev-7': true });
        expect((await stores.connections.sessionControllers('dev-7', T0)).map((m) => m.backlogged)).toEqual([true]);

        await stores.connections.putSession(session('dev-7', { connectionId: 'c2' }));
        expect(await stores.connections.attachSessionControllers(member('dev-7', 'c2'), T0)).toEqual(['monitor']);
        expect(await flagsOf('monitor')).toEqual({ 'dev-7': false });
      });

      it('markMemberships creates nothing: unknown or expired memberships stay as they are', async () => {
        await stores.connections.markMemberships('ghost', 'c9', true, T0);
        expect(await flatten(stores.connections.membersOf('monitor', T0))).toEqual([]);
        await stores.connections.put(connection('c1', { expiresAt: T0 - 1 }));
        await stores.connections.markMemberships('c1', 'c1', true, T0);
        expect(await flatten(stores.connections.membersOf('monitor', T0 - 1))).toStrictEqual([
          { sessionId: 'c1', connectionId: 'c1', sessionKind: 'clean', claimedQos: 1, format: 'json' },
        ]);
      });
    });

    describe('SubscriptionStore', () => {
      it('put then ofSession round-trips; put on the same key replaces', async () => {
        const first = subscription('monitor', 'temp', 's1', { subscriptionQos: 1 });
        const second = subscription('monitor', 'humidity', 's1');
        await stores.subscriptions.put(first);
        await stores.subscriptions.put(second);
        expect(sortBy(await stores.subscriptions.ofSession('s1', T0), 'topic')).toEqual([second, first]);

        const replaced = { ...first, subscriptionQos: 2 as const, claimedQos: 2 as const };
        await stores.subscriptions.put(replaced);
        expect(sortBy(await stores.subscriptions.ofSession('s1', T0), 'topic')).toEqual([second, replaced]);
      });

      it('subscribersOf gives the topic’s live subscribers as Recipients with subscriptionQos, and no others', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 's1', { connectionId: 'c1', subscriptionQos: 1 }));
        await stores.subscriptions.put(subscription('monitor', 'temp', 's2', { connectionId: 'c2', subscriptionQos: 2, claimedQos: 2, format: 'text' }));
        await stores.subscriptions.put(subscription('monitor', 'temp', 'old', { expiresAt: T0 - 1 }));
        await stores.subscriptions.put(subscription('monitor', 'other', 's3'));
        await stores.subscriptions.put(subscription('sensor', 'temp', 's4'));

        const recipients = sortBy(await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0)), 'sessionId');
        expect(recipients).toStrictEqual([
          { sessionId: 's1', connectionId: 'c1', sessionKind: 'clean', claimedQos: 1, format: 'json', subscriptionQos: 1 },
          { sessionId: 's2', connectionId: 'c2', sessionKind: 'clean', claimedQos: 2, format: 'text', subscriptionQos: 2 },
        ]);
        expect(await flatten(stores.subscriptions.subscribersOf('monitor', 'nobody', T0))).toEqual([]);
      });

      it('an away persistent session is a Recipient without connectionId', async () => {
        const away = subscription('monitor', 'temp', 'dev-7', { sessionKind: 'persistent' });
        delete away.connectionId;
        await stores.subscriptions.put(away);
        const [recipient] = await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0));
        expect(recipient).toStrictEqual({ sessionId: 'dev-7', sessionKind: 'persistent', claimedQos: 1, format: 'json', subscriptionQos: 1 });
      });

      it('subscribersOf hands out more than one page and every subscriber exactly once', async () => {
        const count = options.pageSize * 2 + 10;
        const sessions = Array.from({ length: count }, (_, i) => `s-${String(i).padStart(4, '0')}`);
        await Promise.all(sessions.map((s) => stores.subscriptions.put(subscription('monitor', 'temp', s))));

        const pages = await collect(stores.subscriptions.subscribersOf('monitor', 'temp', T0));
        expect(pages.length).toBeGreaterThanOrEqual(2);
        for (const page of pages) expect(page.length).toBeLessThanOrEqual(options.pageSize);
        expect(pages.flat().map((r) => r.sessionId).sort()).toEqual(sessions);
      });

      it('delete removes one subscription and is idempotent', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 's1'));
        await stores.subscriptions.put(subscription('monitor', 'temp', 's2'));
        await stores.subscriptions.delete('monitor', 'temp', 's1');
        await stores.subscriptions.delete('monitor', 'temp', 's1');
        await stores.subscriptions.delete('monitor', 'never', 's1');
        expect((await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0))).map((r) => r.sessionId)).toEqual(['s2']);
      });

      it('ofSession gives only the session’s live subscriptions', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 's1'));
        await stores.subscriptions.put(subscription('monitor', 'old', 's1', { expiresAt: T0 - 1 }));
        await stores.subscriptions.put(subscription('monitor', 'temp', 's2'));
        expect(await stores.subscriptions.ofSession('s1', T0)).toEqual([subscription('monitor', 'temp', 's1')]);
        expect(await stores.subscriptions.ofSession('nobody', T0)).toEqual([]);
      });

      it('attach points the session’s live subscriptions at a connection, or at none, and extends them', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 'dev-7', { connectionId: 'c1' }));
        await stores.subscriptions.put(subscription('sensor', 'temp', 'dev-7', { connectionId: 'c1' }));
        await stores.subscriptions.put(subscription('monitor', 'old', 'dev-7', { connectionId: 'c1', expiresAt: T0 - 1 }));
        await stores.subscriptions.put(subscription('monitor', 'temp', 'other', { connectionId: 'c9' }));

        await stores.subscriptions.attach('dev-7', undefined, T0 + 5 * HOUR, T0);
        const away = await stores.subscriptions.ofSession('dev-7', T0 + 4 * HOUR);
        expect(away).toHaveLength(2);
        for (const s of away) {
          expect('connectionId' in s).toBe(false);
          expect(s.expiresAt).toBe(T0 + 5 * HOUR);
        }

        await stores.subscriptions.attach('dev-7', 'c2', T0 + 6 * HOUR, T0);
        const back = await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0));
        expect(sortBy(back, 'sessionId')).toStrictEqual([
          { sessionId: 'dev-7', connectionId: 'c2', sessionKind: 'clean', claimedQos: 1, format: 'json', subscriptionQos: 1 },
          { sessionId: 'other', connectionId: 'c9', sessionKind: 'clean', claimedQos: 1, format: 'json', subscriptionQos: 1 },
        ]);
        // The expired one was not brought back to life.
        expect(await flatten(stores.subscriptions.subscribersOf('monitor', 'old', T0))).toEqual([]);
      });

      it('deleteSession removes every subscription of the session and nothing else', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 's1'));
        await stores.subscriptions.put(subscription('sensor', 'temp', 's1'));
        await stores.subscriptions.put(subscription('monitor', 'temp', 's2'));
        await stores.subscriptions.deleteSession('s1', T0);
        expect(await stores.subscriptions.ofSession('s1', T0)).toEqual([]);
        expect(await flatten(stores.subscriptions.subscribersOf('sensor', 'temp', T0))).toEqual([]);
        expect((await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0))).map((r) => r.sessionId)).toEqual(['s2']);
      });
    });

    describe('SubscriptionStore: lazy flow control’s backlog flag (issue 13)', () => {
      it('markSession flags the session’s live subscriptions for subscribersOf and ofSession, and clears them', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 's1'));
        await stores.subscriptions.put(subscription('sensor', 'temp', 's1'));
        await stores.subscriptions.put(subscription('monitor', 'temp', 's2'));
        await stores.subscriptions.markSession('s1', true, T0);
        await stores.subscriptions.markSession('s1', true, T0);
        const flags = async () => Object.fromEntries((await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0))).map((r) => [r.sessionId, r.backlogged ?? false]));
        expect(await flags()).toEqual({ s1: true, s2: false });
        expect((await stores.subscriptions.ofSession('s1', T0)).map((x) => x.backlogged)).toEqual([true, true]);

        await stores.subscriptions.markSession('s1', false, T0);
        expect(await flags()).toEqual({ s1: false, s2: false });
        expect(sortBy(await stores.subscriptions.ofSession('s1', T0), 'controller')).toStrictEqual([
          subscription('monitor', 'temp', 's1'),
          subscription('sensor', 'temp', 's1'),
        ]);
      });

      it('a subscription put afresh starts unflagged; attach and detach keep the flag', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 'dev-7', { connectionId: 'c1', sessionKind: 'persistent' }));
        await stores.subscriptions.put(subscription('monitor', 'hum', 'dev-7', { connectionId: 'c1', sessionKind: 'persistent' }));
        await stores.subscriptions.markSession('dev-7', true, T0);
        await stores.subscriptions.detach('dev-7', 'c1', LATER, T0);
        await stores.subscriptions.attach('dev-7', 'c2', LATER, T0);
        expect((await stores.subscriptions.ofSession('dev-7', T0)).map((x) => x.backlogged)).toEqual([true, true]);
        await stores.subscriptions.put(subscription('monitor', 'temp', 'dev-7', { connectionId: 'c2', sessionKind: 'persistent' }));
        expect(sortBy(await stores.subscriptions.ofSession('dev-7', T0), 'topic').map((x) => [x.topic, x.backlogged ?? false])).toEqual([
          ['hum', true],
          ['temp', false],
        ]);
      });

      it('markSession creates nothing: an unsubscribed or expired subscription stays gone or as it was', async () => {
        await stores.subscriptions.markSession('nobody', true, T0);
        expect(await stores.subscriptions.ofSession('nobody', T0)).toEqual([]);
        await stores.subscriptions.put(subscription('monitor', 'temp', 's1', { expiresAt: T0 - 1 }));
        await stores.subscriptions.markSession('s1', true, T0);
        expect((await flatten(stores.subscriptions.subscribersOf('monitor', 'temp', T0 - 1))).map((r) => r.backlogged)).toEqual([undefined]);
      });
    });

    describe('SubscriptionStore: a connection’s cleanup leaves a newer connection’s alone', () => {
      it('detach points at none only the subscriptions that still point at the ending connection', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 'dev-7', { connectionId: 'c1', sessionKind: 'persistent' }));
        await stores.subscriptions.put(subscription('monitor', 'taken', 'dev-7', { connectionId: 'c2', sessionKind: 'persistent' }));
        await stores.subscriptions.put(subscription('monitor', 'temp', 'other', { connectionId: 'c1' }));

        await stores.subscriptions.detach('dev-7', 'c1', T0 + 5 * HOUR, T0);
        const byTopic = sortBy(await stores.subscriptions.ofSession('dev-7', T0), 'topic');
        expect(byTopic.map((s) => [s.topic, s.connectionId, s.expiresAt])).toEqual([
          ['taken', 'c2', LATER],
          ['temp', undefined, T0 + 5 * HOUR],
        ]);
        expect(await stores.subscriptions.ofSession('other', T0)).toEqual([subscription('monitor', 'temp', 'other', { connectionId: 'c1' })]);
      });

      it('repoint re-points only the subscriptions that still point at `from`, with the new claim and format', async () => {
        await stores.subscriptions.put(subscription('monitor', 'temp', 'dev-7', { connectionId: 'c1', sessionKind: 'persistent' }));
        await stores.subscriptions.put(subscription('monitor', 'taken', 'dev-7', { connectionId: 'c2', sessionKind: 'persistent' }));
        await stores.subscriptions.put(subscription('monitor', 'temp', 'other', { connectionId: 'c1' }));

        await stores.subscriptions.repoint('dev-7', 'c1', { connectionId: 'c3', claimedQos: 2, format: 'text' }, T0 + 5 * HOUR, T0);
        const byTopic = sortBy(await stores.subscriptions.ofSession('dev-7', T0), 'topic');
        expect(byTopic.map((s) => [s.topic, s.connectionId, s.claimedQos, s.format, s.expiresAt])).toEqual([
          ['taken', 'c2', 1, 'json', LATER],
          ['temp', 'c3', 2, 'text', T0 + 5 * HOUR],
        ]);
        expect(await stores.subscriptions.ofSession('other', T0)).toEqual([subscription('monitor', 'temp', 'other', { connectionId: 'c1' })]);

        // To none: the session's owner is away.
        await stores.subscriptions.repoint('dev-7', 'c3', { claimedQos: 2, format: 'text' }, T0 + 6 * HOUR, T0);
        const temp = (await stores.subscriptions.ofSession('dev-7', T0)).find((s) => s.topic === 'temp');
        expect(temp && 'connectionId' in temp).toBe(false);
        expect(temp?.expiresAt).toBe(T0 + 6 * HOUR);
      });

      it('deleteOfConnection deletes only the session’s subscriptions of that connection', async () => {
        await stores.subscriptions.put(subscription('monitor', 'old', 'dev-7', { connectionId: 'c1' }));
        await stores.subscriptions.put(subscription('monitor', 'gone', 'dev-7', { connectionId: 'c1', expiresAt: T0 - 1 }));
        await stores.subscriptions.put(subscription('monitor', 'new', 'dev-7', { connectionId: 'c2' }));
        await stores.subscriptions.put(subscription('monitor', 'old', 'other', { connectionId: 'c1' }));

        await stores.subscriptions.deleteOfConnection('dev-7', 'c1', T0);
        expect(await stores.subscriptions.ofSession('dev-7', T0 - 2)).toEqual([subscription('monitor', 'new', 'dev-7', { connectionId: 'c2' })]);
        expect(await stores.subscriptions.ofSession('other', T0)).toHaveLength(1);
      });
    });

    describe('PendingStore', () => {
      it('putMany then getMany round-trips every kind of data, in the order asked', async () => {
        const entries = DATA_SAMPLES.map((data, i) => pending('s1', `m${i}`, { data }));
        await stores.pending.putMany(entries);
        const keys = entries.map(keyOf).reverse();
        expect(await stores.pending.getMany(keys, T0)).toStrictEqual([...entries].reverse());
      });

      it('round-trips optional fields when present and keeps them absent when not', async () => {
        const full = pending('s1', 'full', { connectionId: 'c1', retained: true, state: 'released', qos: 2, parked: false, held: true });
        const parked = pending('s1', 'parked', { parked: true });
        delete parked.connectionId;
        await stores.pending.putMany([full, parked]);
        const [readFull, readParked] = await stores.pending.getMany([keyOf(full), keyOf(parked)], T0);
        expect(readFull).toStrictEqual(full);
        expect(readParked).toStrictEqual(parked);
      });

      it('getMany skips unknown keys, repeated keys and expired entries', async () => {
        await stores.pending.putMany([pending('s1', 'm1'), pending('s1', 'old', { expiresAt: T0 - 1 })]);
        const found = await stores.pending.getMany(
          [{ sessionId: 's1', id: 'm1' }, { sessionId: 's1', id: 'm1' }, { sessionId: 's1', id: 'old' }, { sessionId: 's1', id: 'none' }],
          T0,
        );
        expect(found.map((e) => e.id)).toEqual(['m1']);
      });

      it('putMany and getMany handle more than one batch (25 writes, 100 reads)', async () => {
        const entries = Array.from({ length: 130 }, (_, i) => pending(`s${i % 3}`, `m${String(i).padStart(3, '0')}`));
        await stores.pending.putMany(entries);
        const found = await stores.pending.getMany(entries.map(keyOf), T0);
        expect(found).toEqual(entries);
      });

      it('putMany with one key twice keeps the last', async () => {
        await stores.pending.putMany([pending('s1', 'm1', { data: 'first' }), pending('s1', 'm1', { data: 'last' })]);
        expect((await stores.pending.getMany([{ sessionId: 's1', id: 'm1' }], T0))[0]?.data).toBe('last');
      });

      it('deleteMany deletes the keys given, across batches; unknown keys are fine', async () => {
        const entries = Array.from({ length: 60 }, (_, i) => pending('s1', `m${String(i).padStart(2, '0')}`));
        await stores.pending.putMany([...entries, pending('s2', 'm00')]);
        await stores.pending.deleteMany([...entries.slice(0, 55).map(keyOf), { sessionId: 's1', id: 'unknown' }, { sessionId: 'x', id: 'y' }]);
        expect((await stores.pending.ofSession('s1', T0)).map((e) => e.id)).toEqual(['m55', 'm56', 'm57', 'm58', 'm59']);
        expect(await stores.pending.ofSession('s2', T0)).toHaveLength(1);
      });

      it('ofSession gives the session’s live entries in id order and nothing of other sessions', async () => {
        await stores.pending.putMany([
          pending('s1', 'b'),
          pending('s1', 'a'),
          pending('s1', 'old', { expiresAt: T0 - 1 }),
          pending('s2', 'a'),
        ]);
        expect(await stores.pending.ofSession('s1', T0)).toEqual([pending('s1', 'a'), pending('s1', 'b')]);
        expect(await stores.pending.ofSession('none', T0)).toEqual([]);
      });

      it('pagesOfSession walks the same live entries in id order, a page at a time, and stops when told', async () => {
        const entries = Array.from({ length: 7 }, (_, i) => pending('s1', `m${i}`));
        await stores.pending.putMany([...entries, pending('s1', 'm3x', { expiresAt: T0 - 1 }), pending('s2', 'm0')]);
        const pages: PendingEntry[][] = [];
        for await (const page of stores.pending.pagesOfSession('s1', T0, 3)) pages.push(page);
        expect(pages.every((page) => page.length <= 3)).toBe(true);
        expect(pages.flat()).toEqual(await stores.pending.ofSession('s1', T0));
        expect(pages.flat().map((e) => e.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);

        const first: PendingEntry[] = [];
        for await (const page of stores.pending.pagesOfSession('s1', T0, 2)) {
          first.push(...page);
          break;
        }
        expect(first.map((e) => e.id)).toEqual(['m0', 'm1']);
      });

      it('deleteSession deletes only that session’s entries, the same ids elsewhere stay', async () => {
        await stores.pending.putMany([pending('s1', 'm1'), pending('s1', 'm2'), pending('s2', 'm1')]);
        await stores.pending.deleteSession('s1', T0);
        expect(await stores.pending.ofSession('s1', T0)).toEqual([]);
        expect(await stores.pending.ofSession('s2', T0)).toEqual([pending('s2', 'm1')]);
        expect(await stores.pending.due(LATER, 10)).toEqual([{ sessionId: 's2', id: 'm1', dueAt: T0 + 10 * SECOND }]);
      });

      it('due gives only entries due at or before now, oldest first, across sessions', async () => {
        await stores.pending.putMany([
          pending('s1', 'late', { dueAt: T0 + 3 }),
          pending('s2', 'first', { dueAt: T0 - 50 }),
          pending('s1', 'exact', { dueAt: T0 }),
          pending('s3', 'future', { dueAt: T0 + 1 }),
          pending('s2', 'second', { dueAt: T0 - 10 }),
        ]);
        expect(await stores.pending.due(T0, 100)).toEqual([
          { sessionId: 's2', id: 'first', dueAt: T0 - 50 },
          { sessionId: 's2', id: 'second', dueAt: T0 - 10 },
          { sessionId: 's1', id: 'exact', dueAt: T0 },
        ]);
        expect(await stores.pending.due(T0 - 100, 100)).toEqual([]);
      });

      it('due respects the limit and still gives the oldest', async () => {
        const entries = Array.from({ length: 40 }, (_, i) => pending(`s${i % 7}`, `m${i}`, { dueAt: T0 - 1000 + ((i * 37) % 40) }));
        await stores.pending.putMany(entries);
        const oldest = entries
          .map((e) => ({ sessionId: e.sessionId, id: e.id, dueAt: e.dueAt }))
          .sort((a, b) => a.dueAt - b.dueAt)
          .slice(0, 15);
        expect(await stores.pending.due(T0, 15)).toEqual(oldest);
        expect(await stores.pending.due(T0, 0)).toEqual([]);
      });

      it('due reads the resend index only: it may list an expired entry, getMany drops it', async () => {
        await stores.pending.putMany([pending('s1', 'old', { dueAt: T0 - 10, expiresAt: T0 - 1 })]);
        const due = await stores.pending.due(T0, 10);
        expect(due).toEqual([{ sessionId: 's1', id: 'old', dueAt: T0 - 10 }]);
        expect(await stores.pending.getMany(due, T0)).toEqual([]);
      });

      it('replaceIf replaces when dueAt is as seen, and the entry leaves or joins due() by its new dueAt', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        await stores.pending.putMany([entry]);
        const next = { ...entry, attempts: 2, dueAt: T0 + 20 * SECOND };
        expect(await stores.pending.replaceIf(next, T0)).toStrictEqual(next);
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([next]);
        expect(await stores.pending.due(T0 + SECOND, 10)).toEqual([]);
        expect(await stores.pending.due(T0 + 20 * SECOND, 10)).toEqual([{ sessionId: 's1', id: 'm1', dueAt: T0 + 20 * SECOND }]);
      });

      it('replaceIf with a stale dueAt returns undefined and changes nothing', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        await stores.pending.putMany([entry]);
        expect(await stores.pending.replaceIf({ ...entry, attempts: 9, dueAt: T0 + 5 }, T0 - 1)).toBeUndefined();
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([entry]);
      });

      it('replaceIf never recreates an entry that is gone', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        expect(await stores.pending.replaceIf(entry, T0)).toBeUndefined();
        await stores.pending.putMany([entry]);
        await stores.pending.deleteMany([keyOf(entry)]);
        expect(await stores.pending.replaceIf({ ...entry, dueAt: T0 + 1 }, T0)).toBeUndefined();
        expect(await stores.pending.ofSession('s1', T0)).toEqual([]);
      });

      it('replaceIf with an expected connection replaces only an entry still aimed at it', async () => {
        const held = pending('s1', 'm1', { dueAt: T0, connectionId: 'c-new', held: true });
        await stores.pending.putMany([held]);
        const { connectionId: _c, ...parked } = { ...held, parked: true };
        // Same dueAt (a held entry and a parked one are both due at the deadline): only the connection tells.
        expect(await stores.pending.replaceIf(parked, T0, 'c-old')).toBeUndefined();
        expect(await stores.pending.getMany([keyOf(held)], T0)).toStrictEqual([held]);
        expect(await stores.pending.replaceIf(parked, T0, 'c-new')).toStrictEqual(parked);
        expect(await stores.pending.getMany([keyOf(held)], T0)).toStrictEqual([parked]);
        // An entry aimed at no connection does not match any expected one.
        expect(await stores.pending.replaceIf({ ...parked, dueAt: T0 + 1 }, T0, 'c-new')).toBeUndefined();
      });

      it('of concurrent replaceIf with the same expected dueAt exactly one wins', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        await stores.pending.putMany([entry]);
        const claims = Array.from({ length: 5 }, (_, i) => ({ ...entry, attempts: 2, dueAt: T0 + (i + 1) * SECOND }));
        const results = await Promise.all(claims.map((claim) => stores.pending.replaceIf(claim, T0)));

        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual(winners);
      });

      it('release moves a QoS 2 entry from sent to released with attempts 1 and the new dueAt', async () => {
        const entry = pending('s1', 'm1', { qos: 2, attempts: 3, dueAt: T0 });
        await stores.pending.putMany([entry]);
        const released = { ...entry, state: 'released' as const, attempts: 1, dueAt: T0 + 10 * SECOND };

        expect(await stores.pending.release(keyOf(entry), T0 + 10 * SECOND, T0)).toStrictEqual({ result: 'released', entry: released });
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([released]);
      });

      it('a repeated release is already-released and leaves the entry as the first left it', async () => {
        const entry = pending('s1', 'm1', { qos: 2, dueAt: T0 });
        await stores.pending.putMany([entry]);
        await stores.pending.release(keyOf(entry), T0 + 10 * SECOND, T0);
        const again = await stores.pending.release(keyOf(entry), T0 + 99 * SECOND, T0 + SECOND);
        const released = { ...entry, state: 'released' as const, attempts: 1, dueAt: T0 + 10 * SECOND };
        expect(again).toStrictEqual({ result: 'already-released', entry: released });
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([released]);
      });

      it('release of a QoS 1 entry is not-qos2 and changes nothing', async () => {
        const entry = pending('s1', 'm1', { qos: 1 });
        await stores.pending.putMany([entry]);
        expect(await stores.pending.release(keyOf(entry), T0 + 10 * SECOND, T0)).toEqual({ result: 'not-qos2' });
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([entry]);
      });

      it('release of a missing or expired entry is missing and creates nothing', async () => {
        expect(await stores.pending.release({ sessionId: 's1', id: 'none' }, T0, T0)).toEqual({ result: 'missing' });
        expect(await stores.pending.ofSession('s1', 0)).toEqual([]);
        expect(await stores.pending.due(LATER, 10)).toEqual([]);

        const old = pending('s1', 'old', { qos: 2, expiresAt: T0 - 1 });
        await stores.pending.putMany([old]);
        expect(await stores.pending.release(keyOf(old), T0 + 10 * SECOND, T0)).toEqual({ result: 'missing' });
        expect(await stores.pending.ofSession('s1', 0)).toStrictEqual([old]);
      });

      it('a client can only release its own session’s entry', async () => {
        await stores.pending.putMany([pending('s1', 'm1', { qos: 2 })]);
        expect(await stores.pending.release({ sessionId: 's2', id: 'm1' }, T0, T0)).toEqual({ result: 'missing' });
        expect((await stores.pending.ofSession('s1', T0))[0]?.state).toBe('sent');
      });

      it('deleteIf deletes only with the dueAt as seen', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        await stores.pending.putMany([entry]);
        expect(await stores.pending.deleteIf(keyOf(entry), T0 - 1)).toBe(false);
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toHaveLength(1);
        expect(await stores.pending.deleteIf(keyOf(entry), T0)).toBe(true);
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toEqual([]);
        expect(await stores.pending.deleteIf(keyOf(entry), T0)).toBe(false);
      });
    });

    describe('PendingStore: re-runs, completion, expiry, the dead-letter lease', () => {
      it('round-trips sent and deadLettering', async () => {
        const entry = pending('s1', 'm1', { sent: true, deadLettering: { reason: 'attempts', deadAt: T0 } });
        await stores.pending.putMany([entry]);
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([entry]);
      });

      it('putAbsent stores only where nothing is, and gives back the entries that were there untouched', async () => {
        const released = pending('s1', 'm1', { qos: 2, state: 'released', attempts: 1, dueAt: T0 + 7 });
        await stores.pending.putMany([released]);
        const again = pending('s1', 'm1', { qos: 2, attempts: 1 });
        const fresh = pending('s2', 'm1', { qos: 2 });
        const result = await stores.pending.putAbsent([again, fresh], T0);
        expect(result).toStrictEqual({ stored: [fresh], existing: [released] });
        expect(await stores.pending.getMany([keyOf(released), keyOf(fresh)], T0)).toStrictEqual([released, fresh]);
      });

      it('putAbsent treats an expired entry as absent', async () => {
        await stores.pending.putMany([pending('s1', 'm1', { data: 'old', expiresAt: T0 - 1 })]);
        const fresh = pending('s1', 'm1', { data: 'new' });
        expect(await stores.pending.putAbsent([fresh], T0)).toStrictEqual({ stored: [fresh], existing: [] });
        expect(await stores.pending.getMany([keyOf(fresh)], T0)).toStrictEqual([fresh]);
      });

      it('complete deletes a QoS 1 entry and leaves a QoS 2 one a tombstone no read sees and putAbsent keeps', async () => {
        const one = pending('s1', 'q1', { qos: 1 });
        const two = pending('s1', 'q2', { qos: 2, state: 'released', dueAt: T0 - 5 });
        await stores.pending.putMany([one, two]);
        await stores.pending.complete([one, two]);

        expect(await stores.pending.getMany([keyOf(one), keyOf(two)], T0)).toEqual([]);
        expect(await stores.pending.ofSession('s1', T0)).toEqual([]);
        expect(await flatten(stores.pending.pagesOfSession('s1', T0, 5))).toEqual([]);
        expect(await stores.pending.due(LATER, 10)).toEqual([]);
        expect(await stores.pending.release(keyOf(two), T0 + 10 * SECOND, T0)).toEqual({ result: 'missing' });
        expect(await stores.pending.replaceIf({ ...two, dueAt: T0 + 1 }, T0 - 5)).toBeUndefined();

        // A re-run of the hand-on brings back the QoS 1 entry (a duplicate QoS 1 allows) but never the QoS 2 one.
        const rerun = await stores.pending.putAbsent([pending('s1', 'q1'), pending('s1', 'q2', { qos: 2 })], T0);
        expect(rerun).toStrictEqual({ stored: [pending('s1', 'q1')], existing: [] });
        expect((await stores.pending.ofSession('s1', T0)).map((e) => e.id)).toEqual(['q1']);
      });

      it('a tombstone lasts until the entry’s deadline, and deleteSession removes it', async () => {
        const two = pending('s1', 'q2', { qos: 2, state: 'released' });
        await stores.pending.putMany([two]);
        await stores.pending.complete([two]);
        expect((await stores.pending.putAbsent([two], two.deadlineAt)).stored).toEqual([]);
        expect((await stores.pending.putAbsent([two], two.deadlineAt + 1)).stored).toStrictEqual([two]);

        await stores.pending.complete([two]);
        await stores.pending.deleteSession('s1', T0);
        expect((await stores.pending.putAbsent([two], T0)).stored).toStrictEqual([two]);
      });

      it('deleteIf with tombstoneUntil leaves a tombstone a re-run cannot overwrite, and a replay (putMany) can', async () => {
        const two = pending('s1', 'q2', { qos: 2, dueAt: T0 });
        await stores.pending.putMany([two]);
        expect(await stores.pending.deleteIf(keyOf(two), T0 - 1, two.deadlineAt)).toBe(false);
        expect(await stores.pending.deleteIf(keyOf(two), T0, two.deadlineAt)).toBe(true);
        expect(await stores.pending.getMany([keyOf(two)], T0)).toEqual([]);
        expect(await stores.pending.due(LATER, 10)).toEqual([]);
        expect(await stores.pending.putAbsent([two], T0)).toStrictEqual({ stored: [], existing: [] });
        await stores.pending.putMany([two]);
        expect(await stores.pending.getMany([keyOf(two)], T0)).toStrictEqual([two]);
      });

      it('deleteExpired deletes expired entries only, and says how many', async () => {
        const old = pending('s1', 'old', { dueAt: T0 - 10, expiresAt: T0 - 1 });
        const live = pending('s1', 'live', { dueAt: T0 - 10 });
        await stores.pending.putMany([old, live]);
        expect(await stores.pending.deleteExpired([keyOf(old), keyOf(live), { sessionId: 's1', id: 'none' }], T0)).toBe(1);
        expect(await stores.pending.due(T0, 10)).toEqual([{ sessionId: 's1', id: 'live', dueAt: T0 - 10 }]);
        expect(await stores.pending.deleteExpired([keyOf(old)], T0)).toBe(0);
      });

      it('replaceIf: the claim is the change of dueAt, so a caller that saw the old one loses after it', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        await stores.pending.putMany([entry]);
        expect(await stores.pending.replaceIf({ ...entry, attempts: 2, dueAt: T0 + SECOND }, T0)).toBeDefined();
        // The second caller saw dueAt T0 as well: whatever it writes, it is too late.
        expect(await stores.pending.replaceIf({ ...entry, attempts: 5, dueAt: T0 + 2 * SECOND }, T0)).toBeUndefined();
        expect((await stores.pending.getMany([keyOf(entry)], T0))[0]?.attempts).toBe(2);
      });

      it('replaceIf cannot win against a dead-letter lease; another lease can', async () => {
        const entry = pending('s1', 'm1', { dueAt: T0 });
        await stores.pending.putMany([entry]);
        const lease = { ...entry, dueAt: T0 + 30 * SECOND, deadLettering: { reason: 'attempts' as const, deadAt: T0 } };
        expect(await stores.pending.replaceIf(lease, T0)).toStrictEqual(lease);

        expect(await stores.pending.replaceIf({ ...entry, attempts: 1, dueAt: T0 + 40 * SECOND }, lease.dueAt)).toBeUndefined();
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([lease]);

        const again = { ...lease, dueAt: T0 + 60 * SECOND };
        expect(await stores.pending.replaceIf(again, lease.dueAt)).toStrictEqual(again);
      });
    });

    describe('PendingStore: the resend index and a fan-out’s first sends', () => {
      // pending() is a connected recipient's first send (attempts 1): what a fan-out's putMany stores.
      it('due finds a putMany’d entry once it is due and not before, and again until it is claimed', async () => {
        const entries = ['s1', 's2', 's3'].map((s) => pending(s, 'm1', { dueAt: T0 }));
        await stores.pending.putMany(entries);
        expect(await stores.pending.due(T0 - 1, 10)).toEqual([]);
        const due = entries.map((e) => ({ sessionId: e.sessionId, id: 'm1', dueAt: T0 }));
        expect(await stores.pending.due(T0, 10)).toEqual(due);
        // Nobody claimed them: still due.
        expect(await stores.pending.due(T0 + SECOND, 10)).toEqual(due);
        expect(await stores.pending.replaceIf({ ...entries[0]!, attempts: 2, dueAt: T0 + 20 * SECOND }, T0)).toBeDefined();
        expect(await stores.pending.due(T0 + SECOND, 10)).toEqual(due.slice(1));
      });

      it('an entry acked before it is due is never listed: deleted (QoS 1) or completed (QoS 2)', async () => {
        const one = pending('s1', 'm1', { dueAt: T0 });
        const two = pending('s2', 'm1', { dueAt: T0, qos: 2 });
        const kept = pending('s3', 'm1', { dueAt: T0 });
        await stores.pending.putMany([one, two, kept]);
        await stores.pending.deleteMany([keyOf(one)]);
        await stores.pending.complete([two]);
        expect(await stores.pending.due(T0, 10)).toEqual([{ sessionId: 's3', id: 'm1', dueAt: T0 }]);
        await stores.pending.deleteMany([keyOf(kept)]);
        expect(await stores.pending.due(T0, 10)).toEqual([]);
        expect(await stores.pending.due(LATER, 10)).toEqual([]);
      });

      it('due with a limit gives the oldest; the rest are listed by the next call', async () => {
        // One delivery to 30 sessions, and 5 other messages due earlier and later.
        const fanOut = Array.from({ length: 30 }, (_, i) => pending(`s${String(i).padStart(2, '0')}`, 'fan', { dueAt: T0 - 100 }));
        const others = [-300, -200, -50, 0, 5].map((d, i) => pending(`o${i}`, `m${i}`, { dueAt: T0 + d }));
        await stores.pending.putMany([...fanOut, ...others]);
        const all = [...fanOut, ...others].filter((e) => e.dueAt <= T0).map((e) => ({ sessionId: e.sessionId, id: e.id, dueAt: e.dueAt }));
        const oldest = [...all].sort((a, b) => a.dueAt - b.dueAt || a.sessionId.localeCompare(b.sessionId));

        const first = await stores.pending.due(T0, 10);
        expect(first).toEqual(oldest.slice(0, 10));
        // The sweep claims what it was given (a later dueAt); the next call lists the rest.
        for (const key of first) {
          const [current] = await stores.pending.getMany([key], T0);
          expect(await stores.pending.replaceIf({ ...current!, attempts: 2, dueAt: LATER }, key.dueAt)).toBeDefined();
        }
        expect(await stores.pending.due(T0, 100)).toEqual(oldest.slice(10));
      });

      it('a write between putMany and the due time moves the entry to its new dueAt: replaceIf, release', async () => {
        const moved = pending('s1', 'm1', { dueAt: T0 });
        const released = pending('s2', 'm1', { dueAt: T0, qos: 2 });
        await stores.pending.putMany([moved, released]);
        await stores.pending.replaceIf({ ...moved, held: true, dueAt: T0 + 30 * SECOND }, T0);
        await stores.pending.release(keyOf(released), T0 + 20 * SECOND, T0 - SECOND);
        expect(await stores.pending.due(T0, 10)).toEqual([]);
        expect(await stores.pending.due(T0 + 30 * SECOND, 10)).toEqual([
          { sessionId: 's2', id: 'm1', dueAt: T0 + 20 * SECOND },
          { sessionId: 's1', id: 'm1', dueAt: T0 + 30 * SECOND },
        ]);
      });

      it('a write that moves a first send earlier than its first due time makes it due then', async () => {
        const resent = pending('s1', 'm1', { dueAt: T0 + 10 * SECOND });
        const released = pending('s2', 'm1', { dueAt: T0 + 10 * SECOND, qos: 2 });
        await stores.pending.putMany([resent, released]);
        await stores.pending.replaceIf({ ...resent, attempts: 2, dueAt: T0 }, T0 + 10 * SECOND);
        await stores.pending.release(keyOf(released), T0 + 1, T0 - SECOND);
        expect(await stores.pending.due(T0 + 1, 10)).toEqual([
          { sessionId: 's1', id: 'm1', dueAt: T0 },
          { sessionId: 's2', id: 'm1', dueAt: T0 + 1 },
        ]);
      });

      it('due lists what putAbsent stored and held, parked and replayed entries, each at its dueAt', async () => {
        await stores.pending.putMany([
          pending('s1', 'held', { held: true, attempts: 0, dueAt: T0 - 3 }),
          pending('s2', 'parked', { parked: true, attempts: 0, dueAt: T0 - 2 }),
          pending('s3', 'replayed', { attempts: 0, dueAt: T0 - 1 }),
        ]);
        await stores.pending.putAbsent([pending('s4', 'rerun', { dueAt: T0 })], T0);
        expect(await stores.pending.due(T0, 10)).toEqual([
          { sessionId: 's1', id: 'held', dueAt: T0 - 3 },
          { sessionId: 's2', id: 'parked', dueAt: T0 - 2 },
          { sessionId: 's3', id: 'replayed', dueAt: T0 - 1 },
          { sessionId: 's4', id: 'rerun', dueAt: T0 },
        ]);
      });

      it('two due() calls at once both list a due entry; one claim wins', async () => {
        const entries = ['s1', 's2'].map((s) => pending(s, 'm1', { dueAt: T0 }));
        await stores.pending.putMany(entries);
        const [a, b] = await Promise.all([stores.pending.due(T0, 10), stores.pending.due(T0, 10)]);
        // An entry may be listed by either or both (the claim decides), but by at least one.
        expect(sortBy([...new Map([...a!, ...b!].map((k) => [k.sessionId, k])).values()], 'sessionId')).toEqual(
          entries.map((e) => ({ sessionId: e.sessionId, id: 'm1', dueAt: T0 })),
        );
        const claims = await Promise.all(
          [...a!, ...b!].map((key) => stores.pending.replaceIf({ ...entries.find((e) => e.sessionId === key.sessionId)!, attempts: 2, dueAt: LATER }, T0)),
        );
        expect(claims.filter((c) => c !== undefined)).toHaveLength(2);
      });
    });

    describe('InboundStore', () => {
      it('putIfAbsent stores once; a repeat is exists with the ORIGINAL record, which stays', async () => {
        const original = inbound('s1', 'c-1', { data: { v: 1 }, messageId: 'm-orig' });
        expect(await stores.inbound.putIfAbsent(original, T0)).toStrictEqual({ result: 'stored', record: original });

        const repeat = inbound('s1', 'c-1', { data: 'changed', messageId: 'm-new', receivedAt: T0 + 5 });
        expect(await stores.inbound.putIfAbsent(repeat, T0 + 5)).toStrictEqual({ result: 'exists', record: original });

        const claimed = await stores.inbound.claim('s1', 'c-1', T0 + 30 * SECOND, T0 + 6);
        expect(claimed).toStrictEqual({ result: 'claimed', record: { ...original, releasingUntil: T0 + 30 * SECOND, releases: 1 } });
      });

      it('putIfAbsent round-trips every kind of data', async () => {
        for (const [i, data] of DATA_SAMPLES.entries()) {
          const record = inbound('s1', `c-${i}`, { data, retain: i % 2 === 0 });
          expect(await stores.inbound.putIfAbsent(record, T0)).toStrictEqual({ result: 'stored', record });
          expect(await stores.inbound.putIfAbsent({ ...record, data: 'x' }, T0)).toStrictEqual({ result: 'exists', record });
        }
      });

      it('a batched publish (PROTOCOL §2 messages) is one record: its messages round-trip exactly, through putIfAbsent and claim', async () => {
        const messages = DATA_SAMPLES.map((data, i) => ({
          controller: 'sensor',
          topic: `t/${i}`,
          data,
          retain: i % 2 === 0,
          messageId: `srv-b.${i}`,
          ...(i === 1 ? { messageExpiresAt: T0 + 5 * SECOND } : {}),
        }));
        const batch = inbound('s1', 'c-batch', { data: null, messageId: 'srv-b.0', messages });
        expect(await stores.inbound.putIfAbsent(batch, T0)).toStrictEqual({ result: 'stored', record: batch });
        expect(await stores.inbound.putIfAbsent({ ...batch, messages: [] }, T0)).toStrictEqual({ result: 'exists', record: batch });
        const claimed = await stores.inbound.claim('s1', 'c-batch', T0 + 30 * SECOND, T0 + 1);
        expect(claimed).toStrictEqual({ result: 'claimed', record: { ...batch, releasingUntil: T0 + 30 * SECOND, releases: 1 } });
      });

      it('putIfAbsent treats an expired record as absent', async () => {
        await stores.inbound.putIfAbsent(inbound('s1', 'c-1', { expiresAt: T0 - 1, data: 'old' }), T0 - 10);
        const fresh = inbound('s1', 'c-1', { data: 'new' });
        expect(await stores.inbound.putIfAbsent(fresh, T0)).toStrictEqual({ result: 'stored', record: fresh });
      });

      it('concurrent putIfAbsent of one id: one stored, the other sees it', async () => {
        const a = inbound('s1', 'c-1', { data: 'a', messageId: 'ma' });
        const b = inbound('s1', 'c-1', { data: 'b', messageId: 'mb' });
        const results = await Promise.all([stores.inbound.putIfAbsent(a, T0), stores.inbound.putIfAbsent(b, T0)]);
        expect(results.map((r) => r.result).sort()).toEqual(['exists', 'stored']);
        const stored = results.find((r) => r.result === 'stored')?.record;
        expect(results.find((r) => r.result === 'exists')?.record).toStrictEqual(stored);
      });

      it('claim: missing, claimed, busy while the lease runs, claimed again after it passed (counted in releases)', async () => {
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 30 * SECOND, T0)).toEqual({ result: 'missing' });
        const record = inbound('s1', 'c-1');
        await stores.inbound.putIfAbsent(record, T0);

        expect(await stores.inbound.claim('s1', 'c-1', T0 + 30 * SECOND, T0)).toStrictEqual({
          result: 'claimed',
          record: { ...record, releasingUntil: T0 + 30 * SECOND, releases: 1 },
        });
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 40 * SECOND, T0 + 10 * SECOND)).toEqual({ result: 'busy' });
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 60 * SECOND, T0 + 30 * SECOND)).toEqual({ result: 'busy' });
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 61 * SECOND, T0 + 30 * SECOND + 1)).toStrictEqual({
          result: 'claimed',
          record: { ...record, releasingUntil: T0 + 61 * SECOND, releases: 2 },
        });
      });

      it('concurrent claims: exactly one is claimed', async () => {
        await stores.inbound.putIfAbsent(inbound('s1', 'c-1'), T0);
        const results = await Promise.all(
          Array.from({ length: 4 }, () => stores.inbound.claim('s1', 'c-1', T0 + 30 * SECOND, T0)),
        );
        expect(results.map((r) => r.result).sort()).toEqual(['busy', 'busy', 'busy', 'claimed']);
      });

      it('claim of an expired record is missing', async () => {
        await stores.inbound.putIfAbsent(inbound('s1', 'c-1', { expiresAt: T0 + SECOND }), T0);
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 60 * SECOND, T0 + SECOND + 1)).toEqual({ result: 'missing' });
      });

      it('delete completes a record (claim is then missing) and is idempotent', async () => {
        await stores.inbound.putIfAbsent(inbound('s1', 'c-1'), T0);
        await stores.inbound.delete('s1', 'c-1');
        await stores.inbound.delete('s1', 'c-1');
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 30 * SECOND, T0)).toEqual({ result: 'missing' });
      });

      it('deleteSession deletes only that session’s records', async () => {
        await stores.inbound.putIfAbsent(inbound('s1', 'c-1'), T0);
        await stores.inbound.putIfAbsent(inbound('s1', 'c-2'), T0);
        await stores.inbound.putIfAbsent(inbound('s2', 'c-1'), T0);
        await stores.inbound.deleteSession('s1', T0);
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 1, T0)).toEqual({ result: 'missing' });
        expect(await stores.inbound.claim('s1', 'c-2', T0 + 1, T0)).toEqual({ result: 'missing' });
        expect((await stores.inbound.claim('s2', 'c-1', T0 + 1, T0)).result).toBe('claimed');
      });

      it('deleteOfConnection deletes only the session’s records that connection received', async () => {
        await stores.inbound.putIfAbsent(inbound('s1', 'old', { connectionId: 'c1' }), T0);
        await stores.inbound.putIfAbsent(inbound('s1', 'new', { connectionId: 'c2' }), T0);
        await stores.inbound.putIfAbsent(inbound('s2', 'old', { connectionId: 'c1' }), T0);
        await stores.inbound.deleteOfConnection('s1', 'c1', T0);
        expect(await stores.inbound.claim('s1', 'old', T0 + 1, T0)).toEqual({ result: 'missing' });
        expect((await stores.inbound.claim('s1', 'new', T0 + 1, T0)).result).toBe('claimed');
        expect((await stores.inbound.claim('s2', 'old', T0 + 1, T0)).result).toBe('claimed');
      });
    });

    describe('RetainedStore', () => {
      it('put then get round-trips every kind of data; put replaces', async () => {
        for (const [i, data] of DATA_SAMPLES.entries()) {
          const message = retained('monitor', `t${i}`, { data });
          await stores.retained.put(message);
          expect(await stores.retained.get('monitor', `t${i}`, T0)).toStrictEqual(message);
        }
        const newer = retained('monitor', 't0', { data: 26, qos: 2, publishedAt: T0 + 1 });
        await stores.retained.put(newer);
        expect(await stores.retained.get('monitor', 't0', T0)).toStrictEqual(newer);
      });

      it('get keeps controllers and topics apart and ignores expired values', async () => {
        await stores.retained.put(retained('monitor', 'temp', { data: 1 }));
        await stores.retained.put(retained('sensor', 'temp', { data: 2, expiresAt: T0 - 1 }));
        expect((await stores.retained.get('monitor', 'temp', T0))?.data).toBe(1);
        expect(await stores.retained.get('sensor', 'temp', T0)).toBeUndefined();
        expect(await stores.retained.get('monitor', 'other', T0)).toBeUndefined();
      });

      it('clear removes the value and is idempotent', async () => {
        await stores.retained.put(retained('monitor', 'temp'));
        await stores.retained.put(retained('monitor', 'other'));
        await stores.retained.clear('monitor', 'temp');
        await stores.retained.clear('monitor', 'temp');
        expect(await stores.retained.get('monitor', 'temp', T0)).toBeUndefined();
        expect(await stores.retained.get('monitor', 'other', T0)).toBeDefined();
      });
    });

    describe('Per-message expiry (issue 15, PROTOCOL §4): the message’s end is kept on every record', () => {
      const END = T0 + 30 * SECOND;

      it('a pending entry keeps messageExpiresAt through putMany, getMany, ofSession, pagesOfSession and putAbsent', async () => {
        const entry = pending('s1', 'm1', { messageExpiresAt: END, dueAt: END, expiresAt: END + 24 * HOUR });
        const other = pending('s1', 'm2', { messageExpiresAt: END + 1 });
        await stores.pending.putMany([entry]);
        expect(await stores.pending.putAbsent([other, { ...entry, messageExpiresAt: END + 5 }], T0)).toStrictEqual({ stored: [other], existing: [entry] });
        expect(await stores.pending.getMany([keyOf(entry)], T0)).toStrictEqual([entry]);
        expect(await stores.pending.ofSession('s1', T0)).toStrictEqual([entry, other]);
        expect(await flatten(stores.pending.pagesOfSession('s1', T0, 1))).toStrictEqual([entry, other]);
      });

      it('replaceIf and release keep it; a replacement without it removes it', async () => {
        const entry = pending('s1', 'm1', { qos: 2, messageExpiresAt: END });
        await stores.pending.putMany([entry]);
        const resent = { ...entry, attempts: 2, dueAt: T0 + 20 * SECOND };
        expect(await stores.pending.replaceIf(resent, entry.dueAt)).toStrictEqual(resent);
        const released = await stores.pending.release(keyOf(entry), T0 + 40 * SECOND, T0);
        expect(released).toMatchObject({ result: 'released', entry: { messageExpiresAt: END, state: 'released' } });

        const plain = pending('s1', 'm2');
        await stores.pending.putMany([{ ...plain, messageExpiresAt: END }]);
        expect(await stores.pending.replaceIf(plain, plain.dueAt)).toStrictEqual(plain);
        const [read] = await stores.pending.getMany([keyOf(plain)], T0);
        expect(read).toStrictEqual(plain);
        expect(read && 'messageExpiresAt' in read).toBe(false);
      });

      it('an entry due at its message’s end is listed then; dropped by deleteIf on that dueAt it leaves no tombstone', async () => {
        const entry = pending('s1', 'm1', { qos: 2, parked: true, dueAt: END, messageExpiresAt: END });
        delete entry.connectionId;
        await stores.pending.putMany([entry]);
        expect(await stores.pending.due(END - 1, 10)).toEqual([]);
        expect(await stores.pending.due(END, 10)).toEqual([{ ...keyOf(entry), dueAt: END }]);
        expect(await stores.pending.deleteIf(keyOf(entry), END + 1)).toBe(false);
        expect(await stores.pending.deleteIf(keyOf(entry), END)).toBe(true);
        expect(await stores.pending.getMany([keyOf(entry)], END)).toEqual([]);
        // No tombstone: an entry under the same key may be stored again (nothing but a new message would).
        expect((await stores.pending.putAbsent([entry], END)).stored).toStrictEqual([entry]);
      });

      it('a dead letter keeps its entry’s messageExpiresAt', async () => {
        const letter = deadLetter(pending('s1', 'm1', { messageExpiresAt: END }), T0, { reason: 'attempts' });
        await stores.deadLetters.put(letter);
        expect(await stores.deadLetters.ofSession('s1', T0)).toStrictEqual([letter]);
      });

      it('an inbound record keeps messageExpiresAt through putIfAbsent and claim', async () => {
        const record = inbound('s1', 'c-1', { messageExpiresAt: END });
        expect(await stores.inbound.putIfAbsent(record, T0)).toStrictEqual({ result: 'stored', record });
        expect(await stores.inbound.claim('s1', 'c-1', T0 + 30 * SECOND, T0)).toStrictEqual({
          result: 'claimed',
          record: { ...record, releasingUntil: T0 + 30 * SECOND, releases: 1 },
        });
      });

      it('a retained value keeps messageExpiresAt, and is gone once its expiresAt (the message’s end) has passed', async () => {
        const message = retained('monitor', 'temp', { messageExpiresAt: END, expiresAt: END });
        await stores.retained.put(message);
        expect(await stores.retained.get('monitor', 'temp', END)).toStrictEqual(message);
        expect(await stores.retained.get('monitor', 'temp', END + 1)).toBeUndefined();
      });
    });

    describe('DeadLetterStore', () => {
      it('ofSession gives the session’s live letters oldest first, entries exact', async () => {
        const letters = [
          deadLetter(pending('s1', 'b', { data: { nested: ['x', ''] } }), T0 + 2000),
          deadLetter(pending('s1', 'a', { data: '' }), T0 + 2000),
          deadLetter(pending('s1', 'z', { connectionId: 'c1', retained: true }), 999_999_999),
          deadLetter(pending('s1', 'old'), T0, { expiresAt: T0 + 5 }),
          deadLetter(pending('s2', 'a'), T0),
        ];
        for (const letter of [...letters].reverse()) await stores.deadLetters.put(letter);

        expect(await stores.deadLetters.ofSession('s1', T0 + 10)).toStrictEqual([letters[2], letters[1], letters[0]]);
        expect(await stores.deadLetters.ofSession('s2', T0 + 10)).toStrictEqual([letters[4]]);
        expect(await stores.deadLetters.ofSession('none', T0)).toEqual([]);
      });

      it('keeps the reason and the entry of a parked entry without connectionId', async () => {
        const entry = pending('s1', 'm1', { parked: true, qos: 2, state: 'released' });
        delete entry.connectionId;
        const letter = deadLetter(entry, T0, { reason: 'attempts' });
        await stores.deadLetters.put(letter);
        const [read] = await stores.deadLetters.ofSession('s1', T0);
        expect(read).toStrictEqual(letter);
        expect(read && 'connectionId' in read.entry).toBe(false);
      });
    });
  });
}

// ---------------------------------------------------------------------------
// Fixtures: complete records, overridable field by field.
// ---------------------------------------------------------------------------

function connection(connectionId: string, overrides: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    connectionId,
    sessionId: connectionId,
    sessionKind: 'clean',
    claimedQos: 1,
    format: 'json',
    controllers: ['monitor'],
    connectedAt: T0 - SECOND,
    expiresAt: LATER,
    ...overrides,
  };
}

function session(sessionId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { sessionId, sessionKind: 'persistent', claimedQos: 1, format: 'json', expiresAt: LATER, ...overrides };
}

const subscription = subscriptionOf;

function pending(sessionId: string, id: string, overrides: Partial<PendingEntry> = {}): PendingEntry {
  return {
    sessionId,
    id,
    connectionId: `conn-of-${sessionId}`,
    sessionKind: 'clean',
    format: 'json',
    controller: 'monitor',
    topic: 'temp',
    data: 25.3,
    qos: 1,
    state: 'sent',
    parked: false,
    attempts: 1,
    createdAt: T0 - SECOND,
    deadlineAt: T0 + 24 * HOUR,
    dueAt: T0 + 10 * SECOND,
    expiresAt: T0 + 48 * HOUR,
    ...overrides,
  };
}

function inbound(sessionId: string, id: string, overrides: Partial<InboundRecord> = {}): InboundRecord {
  return {
    sessionId,
    id,
    controller: 'sensor',
    topic: 'temp',
    data: 25.3,
    retain: false,
    messageId: `srv-${id}`,
    receivedAt: T0,
    expiresAt: LATER,
    ...overrides,
  };
}

function retained(controller: string, topic: string, overrides: Partial<RetainedMessage> = {}): RetainedMessage {
  return { controller, topic, data: 25.3, qos: 1, publishedAt: T0, expiresAt: LATER, ...overrides };
}

function deadLetter(entry: PendingEntry, deadAt: number, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return { entry, reason: 'ttl', deadAt, expiresAt: LATER, ...overrides };
}

function keyOf(entry: PendingEntry): { sessionId: string; id: string } {
  return { sessionId: entry.sessionId, id: entry.id };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

async function flatten<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  return (await collect(pages)).flat();
}

function sortBy<T, K extends keyof T>(items: T[], key: K): T[] {
  return [...items].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
}
