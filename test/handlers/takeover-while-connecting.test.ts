import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../lambdas/core/types.js';
import { Harness } from '../support/harness.js';

/**
 * A takeover whose previous connection is still in its `$connect` (the session names it, its
 * record is not written yet): API Gateway answers the close with 410, and that connection would
 * stay open beside the new one once its `$connect` returns (two clients with one clientId then
 * stop taking the session from each other). The new `$connect` waits for the record and closes it.
 */
describe('$connect taking over a connection still in its own $connect', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const sessionId = 'dev-race';
  const previous = (now: number): ConnectionRecord => ({ connectionId: 'old=', sessionId, sessionKind: 'clean', claimedQos: 0, format: 'json', controllers: [], connectedAt: now, expiresAt: now + 3_600_000 });
  const closesOfOld = () => h.endpoint.requests().filter((r) => r.method === 'DELETE' && r.connectionId === 'old=').length;
  /** The previous $connect got the session and has not written its record (its last write) yet. */
  const connecting = async () => {
    const now = h.clock.now();
    await h.deps.stores.connections.putSessionIf({ sessionId, sessionKind: 'clean', connectionId: 'old=', claimedQos: 0, format: 'json', expiresAt: now + 3_600_000 }, undefined, now);
  };

  it("closes it once its $connect has returned (its record appeared), and the session is the new connection's", async () => {
    h = await Harness.start();
    await connecting();
    const waits: number[] = [];
    h.deps.pause = async (ms) => {
      waits.push(ms);
      // The previous $connect returns during the second wait.
      if (waits.length === 2) await h.deps.stores.connections.put(previous(h.clock.now()));
    };
    const { connectionId, statusCode } = await h.open({ clientId: sessionId });
    expect(statusCode).toBe(200);
    expect(waits).toEqual([25, 50]);
    // Closed twice: the first close met its $connect (410 on AWS), the second, after its record, closed it.
    expect(closesOfOld()).toBe(2);
    expect((await h.deps.stores.connections.getSession(sessionId, h.clock.now()))?.connectionId).toBe(connectionId);
  });

  it('gives up after about 1.6 s when the previous $connect never returns a record (refused or failed)', async () => {
    h = await Harness.start();
    await connecting();
    const waits: number[] = [];
    h.deps.pause = async (ms) => void waits.push(ms);
    const { statusCode } = await h.open({ clientId: sessionId });
    expect(statusCode).toBe(200);
    expect(waits).toEqual([25, 50, 100, 200, 400, 800]);
    expect(closesOfOld()).toBe(1);
  });

  it('does not wait where the host cannot (no pause: the harness and the explorer)', async () => {
    h = await Harness.start();
    await connecting();
    const { statusCode } = await h.open({ clientId: sessionId });
    expect(statusCode).toBe(200);
    expect(closesOfOld()).toBe(1);
  });
});
