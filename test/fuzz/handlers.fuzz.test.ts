import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../lambdas/adapters/memory/index.js';
import type { AppDeps } from '../../lambdas/app/deps.js';
import { withServerPublish } from '../../lambdas/app/server-publish.js';
import { sampleControllers } from '../../lambdas/core/controllers/registry.js';
import { ProtocolError } from '../../lambdas/core/errors.js';
import { parseFrame } from '../../lambdas/core/frames/parse-frame.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { Action, PendingEntry } from '../../lambdas/core/types.js';
import { createConnectHandler } from '../../lambdas/handlers/connect.js';
import type { WebSocketEvent, WebSocketResult } from '../../lambdas/handlers/events.js';
import type { ConnectionGateway } from '../../lambdas/ports/connection-gateway.js';
import { silentLogger } from '../../lambdas/ports/logger.js';
import { selectRoute } from '../../lambdas/routes.js';
import { frameRouteHandlers, Harness, ManualClock } from '../support/harness.js';
import { frameArbitrary } from './frame-arbitraries.js';

/** Frames a client may get back for a frame with each action (besides messages it subscribed to). */
const ALLOWED: Record<Action, { types: string[]; codes: string[] }> = {
  publish: { types: ['msgack', 'pubrec'], codes: ['UNKNOWN_CONTROLLER', 'BAD_REQUEST'] },
  msgack: { types: [], codes: ['BAD_REQUEST'] },
  pubrec: { types: ['pubrel'], codes: ['BAD_REQUEST'] },
  pubrel: { types: ['msgack'], codes: ['BAD_REQUEST', 'UNKNOWN_CONTROLLER'] },
  subscribe: { types: ['suback'], codes: ['UNKNOWN_CONTROLLER'] },
  unsubscribe: { types: ['unsuback'], codes: ['UNKNOWN_CONTROLLER'] },
  resume: { types: ['pubrel'], codes: [] },
  ping: { types: ['pong'], codes: [] },
  // BAD_REQUEST: a will after this connection's own `disconnect` (it is ending).
  will: { types: ['willack'], codes: ['UNKNOWN_CONTROLLER', 'BAD_REQUEST'] },
  // The close is the answer: no frame.
  disconnect: { types: [], codes: [] },
  // PROTOCOL §10: history frames, or UNKNOWN_CONTROLLER for a controller that does not exist.
  history: { types: ['history'], codes: ['UNKNOWN_CONTROLLER'] },
};

/** A gateway that keeps every frame in memory: the fuzzer sends thousands of frames. */
class RecordingGateway implements ConnectionGateway {
  readonly posts = new Map<string, string[]>();
  async post(connectionId: string, frame: string): Promise<'ok'> {
    const list = this.posts.get(connectionId) ?? [];
    list.push(frame);
    this.posts.set(connectionId, list);
    return 'ok';
  }
  async disconnect(): Promise<'ok' | 'gone'> {
    return 'ok';
  }
  async isOpen(): Promise<boolean> {
    return true;
  }
  take(connectionId: string): Array<Record<string, unknown>> {
    const list = this.posts.get(connectionId) ?? [];
    this.posts.set(connectionId, []);
    return list.map((raw) => JSON.parse(raw) as Record<string, unknown>);
  }
}

type Send = (connectionId: string, body: string) => Promise<WebSocketResult>;

/** The expected answer class of a frame, from the codec (itself tested frame by frame). */
function expectation(raw: string): { code: string } | { action: Action } {
  try {
    return { action: parseFrame(raw, { maxDataBytes: DEFAULT_POLICY.maxDataBytes }).action };
  } catch (error) {
    if (error instanceof ProtocolError) return { code: error.code };
    throw error;
  }
}

/**
 * Runs `runs` random frames from an attacker at the handlers, with a victim holding QoS 1 and
 * QoS 2 messages whose ids the attacker uses. Each frame must get an error frame or its
 * correct effect, nothing may crash, and the victim's pending messages stay as they were.
 */
async function fuzz(
  runs: number,
  send: Send,
  replies: (connectionId: string) => Array<Record<string, unknown>>,
  victimPending: () => Promise<PendingEntry[]>,
  attacker: string,
  victimIds: string[],
): Promise<void> {
  const before = await victimPending();
  expect(before.length).toBeGreaterThanOrEqual(2);
  await fc.assert(
    fc.asyncProperty(frameArbitrary(victimIds), async (raw) => {
      const expected = expectation(raw);
      const result = await send(attacker, raw);
      expect(result.statusCode).toBe(200);
      const answers = replies(attacker).filter((f) => f.type !== 'message');
      if ('code' in expected) {
        expect(answers).toEqual([expect.objectContaining({ type: 'error', code: expected.code })]);
        return;
      }
      const allowed = ALLOWED[expected.action];
      for (const answer of answers) {
        if (answer.type === 'error') expect(allowed.codes).toContain(answer.code);
        else expect(allowed.types).toContain(answer.type);
      }
    }),
    { numRuns: runs },
  );
  // The victim's messages: every one still there, exactly as it was.
  const after = await victimPending();
  for (const entry of before) expect(after).toContainEqual(entry);
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('fuzzing the handlers with random frames', () => {
  it('10,000 frames on the in-memory stores: an error frame or the correct effect, never a crash, others untouched', async () => {
    const gateway = new RecordingGateway();
    const clock = new ManualClock();
    let n = 0;
    const deps: AppDeps = withServerPublish({
      stores: createMemoryStores(),
      gateway,
      clock,
      // One attacker sends 10,000 frames on a clock that never moves: no rate limit here.
      policy: { ...DEFAULT_POLICY, rateLimitBurst: 1_000_000 },
      controllers: sampleControllers,
      newId: () => `m${String(++n).padStart(6, '0')}`,
      log: silentLogger,
    });
    const connect = createConnectHandler(deps);
    const routes = frameRouteHandlers(deps);
    const send: Send = (connectionId, body) => {
      const routeKey = selectRoute(body);
      return (routes.get(routeKey) as (e: WebSocketEvent) => Promise<WebSocketResult>)({ requestContext: { routeKey, eventType: 'MESSAGE', connectionId }, body });
    };
    const open = async (connectionId: string, query: Record<string, string>) => {
      const result = await connect({ requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId }, queryStringParameters: query });
      expect(result.statusCode).toBe(200);
    };
    await open('victim=', { qos: '2', controllers: 'monitor' });
    await open('attacker=', { qos: '2' });
    await open('sensor=', {});
    await send('victim=', JSON.stringify({ action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 }));
    await send('sensor=', 'sensor|temp|20');
    await send('sensor=', JSON.stringify({ action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'v' }));
    await send('sensor=', JSON.stringify({ action: 'pubrel', id: 'v' }));
    const victimIds = (await deps.stores.pending.ofSession('victim=', clock.now())).map((e) => e.id);
    gateway.take('attacker=');

    await fuzz(10_000, send, (id) => gateway.take(id), () => deps.stores.pending.ofSession('victim=', clock.now()), 'attacker=', victimIds);
  }, 300_000);

  describe('on DynamoDB Local, through the real management API client', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await Harness.start({ policy: { rateLimitBurst: 1_000_000 } });
    });
    afterAll(() => h.close());

    it('1,000 frames: the same properties hold on the real adapters', async () => {
      const victim = await h.client({ qos: '2', controllers: 'monitor' });
      const attacker = await h.client({ qos: '2' });
      const sensor = await h.client();
      await h.send(victim, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
      await h.send(sensor, 'sensor|temp|20');
      await h.send(sensor, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'v' });
      await h.send(sensor, { action: 'pubrel', id: 'v' });
      const victimIds = (await h.pendingOf(victim)).map((e) => e.id);
      // The attacker's `disconnect` frames would close its one connection for good (the management
      // endpoint answers 410 after a DeleteConnection): the fuzzer keeps it open. What a
      // `disconnect` does is tested in test/handlers/last-will.test.ts and test/e2e/last-will.test.ts.
      const { gateway } = h.deps;
      h.deps.gateway = { post: (c, f) => gateway.post(c, f), isOpen: (c) => gateway.isOpen(c), disconnect: async () => 'ok' as const };
      let seen = 0;
      const replies = (id: string) => {
        const frames = h.frames(id);
        const fresh = frames.slice(seen);
        seen = frames.length;
        return fresh as unknown as Array<Record<string, unknown>>;
      };
      await fuzz(1_000, (c, body) => h.send(c, body), replies, () => h.pendingOf(victim), attacker, victimIds);
    }, 600_000);
  });
});
