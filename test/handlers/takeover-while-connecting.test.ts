import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../lambdas/core/types.js';
import { TAKEN_WHILE_CONNECTING } from '../../lambdas/handlers/connect.js';
import { Harness } from '../support/harness.js';

/**
 * Takeovers that meet a previous connection of the clientId still in its own `$connect`, where
 * API Gateway answers DeleteConnection with 410 (the close is lost) and opens the connection
 * once that `$connect` returns. Without care, it opens beside the new one, and two clients with
 * one clientId stop taking the session from each other. Two cases, by where the previous
 * `$connect` is:
 * - before its record (its last write): the record is written only while the session still
 *   names it, so it finds the session taken and refuses its handshake (409);
 * - after its record: the new `$connect` ends it, and closes it once it is open.
 */
describe('$connect taking over a connection still in its own $connect', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const sessionId = 'dev-race';
  const previous = (now: number): ConnectionRecord => ({ connectionId: 'old=', sessionId, sessionKind: 'clean', claimedQos: 0, format: 'json', controllers: [], connectedAt: now, expiresAt: now + 3_600_000 });
  const deletesOfOld = () => h.endpoint.requests().filter((r) => r.method === 'DELETE' && r.connectionId === 'old=').length;
  /** The previous $connect got the session and wrote its record; it has not returned yet. */
  const recordedNotReturned = async () => {
    const now = h.clock.now();
    await h.deps.stores.connections.putSessionIf({ sessionId, sessionKind: 'clean', connectionId: 'old=', claimedQos: 0, format: 'json', expiresAt: now + 3_600_000 }, undefined, now);
    await h.deps.stores.connections.put(previous(now));
  };

  it('a $connect whose session a newer one took before its record refuses with 409 and leaves no record; the newer one serves the session', async () => {
    h = await Harness.start();
    // The first $connect is held between its presence publish and its record while a second one,
    // same clientId, runs from start to end: the second finds no record to close.
    const publish = h.deps.serverPublish;
    let second: ReturnType<Harness['open']> | undefined;
    h.deps.serverPublish = async (publication, sender, now) => {
      await publish(publication, sender, now);
      if (sender.connectionId !== 'conn-1=') return;
      second ??= h.open({ clientId: sessionId });
      await second;
    };
    const first = await h.open({ clientId: sessionId });
    const newer = await second;

    expect(first).toEqual({ connectionId: 'conn-1=', statusCode: 409, body: TAKEN_WHILE_CONNECTING });
    expect(newer?.statusCode).toBe(200);
    const now = h.clock.now();
    expect(await h.deps.stores.connections.get('conn-1=', now)).toBeUndefined();
    expect(await h.deps.stores.connections.get('conn-2=', now)).toMatchObject({ sessionId });
    expect((await h.deps.stores.connections.getSession(sessionId, now))?.connectionId).toBe('conn-2=');
  });

  it('a previous connection that has its record is closed once it is open: the first close met its $connect (410), the next one after GetConnection says open', async () => {
    h = await Harness.start();
    await recordedNotReturned();
    // DeleteConnection, then the first GetConnection, answer 410 (still in its $connect); then it is open.
    h.endpoint.failNext('old=', 410, 2);
    const waits: number[] = [];
    h.deps.pause = async (ms) => void waits.push(ms);
    const { connectionId, statusCode } = await h.open({ clientId: sessionId });

    expect(statusCode).toBe(200);
    expect(waits).toEqual([25, 50]);
    expect(h.endpoint.requests().filter((r) => r.connectionId === 'old=').map((r) => r.method)).toEqual(['DELETE', 'GET', 'GET', 'DELETE']);
    expect(h.endpoint.deleted()).toEqual(['old=']);
    expect((await h.deps.stores.connections.getSession(sessionId, h.clock.now()))?.connectionId).toBe(connectionId);
  });

  it('stops waiting once the previous connection is gone for good (its $disconnect removed its record)', async () => {
    h = await Harness.start();
    await recordedNotReturned();
    h.endpoint.markGone('old=');
    const waits: number[] = [];
    h.deps.pause = async (ms) => {
      waits.push(ms);
      await h.deps.stores.connections.delete(previous(h.clock.now()));
    };
    expect((await h.open({ clientId: sessionId })).statusCode).toBe(200);
    expect(waits).toEqual([25]);
    expect(deletesOfOld()).toBe(1);
  });

  it('gives up after about 1.6 s when the previous connection neither opens nor loses its record', async () => {
    h = await Harness.start();
    await recordedNotReturned();
    h.endpoint.markGone('old=');
    const waits: number[] = [];
    h.deps.pause = async (ms) => void waits.push(ms);
    expect((await h.open({ clientId: sessionId })).statusCode).toBe(200);
    expect(waits).toEqual([25, 50, 100, 200, 400, 800]);
    expect(deletesOfOld()).toBe(1);
  });

  it('does not wait where the host cannot (no pause: the harness and the explorer)', async () => {
    h = await Harness.start();
    await recordedNotReturned();
    h.endpoint.markGone('old=');
    expect((await h.open({ clientId: sessionId })).statusCode).toBe(200);
    expect(deletesOfOld()).toBe(1);
  });
});
