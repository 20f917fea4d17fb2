import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import type { AppDeps } from '../../lambdas/app/deps.js';
import { sweepDue } from '../../lambdas/app/resend-sweep.js';
import { ALL_COMMANDS } from '../../lambdas/handlers/commands/index.js';
import type { WebSocketEvent, WebSocketResult } from '../../lambdas/handlers/events.js';
import { createFrameHandler } from '../../lambdas/handlers/frame-handler.js';
import type { Stores } from '../../lambdas/ports/index.js';
import { RESEND, ROUTES, type RouteSpec } from '../../lambdas/routes.js';
import { Harness } from '../support/harness.js';

/**
 * Lazy flow control writes from the ack and resume paths (flagging and unflagging a session's
 * memberships, subscriptions and flag item). Each function gets only the tables its route is
 * granted (lambdas/routes.ts; the wiring makes every other store throw, as here), so these run
 * the msgack, resume and resend paths with exactly those stores.
 */
const STORE_OF: Record<TableName, keyof Stores> = {
  connections: 'connections',
  subscriptions: 'subscriptions',
  pending: 'pending',
  // The pending store joins its bodies from messages (issue 13): without it, it cannot work either.
  messages: 'pending',
  inbound: 'inbound',
  retained: 'retained',
  deadLetters: 'deadLetters',
  history: 'history',
};

/** The deps a function of `route` has: the stores of its granted tables, the rest throwing on use. */
function grantedDeps(deps: AppDeps, route: Pick<RouteSpec, 'id' | 'tables'>): AppDeps {
  const stores = { ...deps.stores };
  for (const [table, store] of Object.entries(STORE_OF) as Array<[TableName, keyof Stores]>) {
    if (route.tables[table] !== undefined) continue;
    stores[store] = new Proxy({} as never, {
      get: (_target, method) => () => {
        throw new Error(`${route.id} was not granted the ${table} table (${String(method)})`);
      },
    });
  }
  return { ...deps, stores };
}

describe('lazy flow control within each function’s table grants', () => {
  let h: Harness;
  let msgack: (event: WebSocketEvent) => Promise<WebSocketResult>;
  let resume: (event: WebSocketEvent) => Promise<WebSocketResult>;
  let resendDeps: AppDeps;
  const route = (id: string) => ROUTES.find((r) => r.id === id) as RouteSpec;
  const via = (handler: typeof msgack, connectionId: string, frame: object) =>
    handler({ requestContext: { routeKey: 'x', eventType: 'MESSAGE', connectionId, messageId: 'm' }, body: JSON.stringify(frame) });
  const errors = (connectionId: string) => h.frames(connectionId).filter((f) => f.type === 'error');
  const flagged = async (sessionId: string) => (await h.deps.stores.connections.getBacklog(sessionId, h.clock.now())).backlogged;

  beforeAll(async () => {
    h = await Harness.start({ policy: { maxInflight: 2 } });
    msgack = createFrameHandler(grantedDeps(h.deps, route('Msgack')), { msgack: ALL_COMMANDS.msgack });
    resume = createFrameHandler(grantedDeps(h.deps, route('Resume')), { resume: ALL_COMMANDS.resume });
    resendDeps = grantedDeps(h.deps, RESEND);
  });
  afterAll(() => h.close());

  it('the sweep flags, an ack unflags (memberships and subscriptions), a slow ack flags again: no function lacks a table', async () => {
    const sensor = await h.client();
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(monitor, { action: 'subscribe', controller: 'monitor', topic: 'temp', qos: 1 });
    for (let t = 1; t <= 3; t += 1) {
      await h.send(sensor, `sensor|temp|${t}`);
      h.clock.advance(1);
    }
    h.clock.advance(10_000);
    await sweepDue(resendDeps, { batchSize: 100 }, h.clock.now());
    expect(await flagged(monitor)).toBe(true);

    const ids = () => [...new Set(h.messages(monitor).map((m) => m.id as string))];
    await via(msgack, monitor, { action: 'msgack', ids: ids() });
    expect(errors(monitor)).toEqual([]);
    expect(await flagged(monitor)).toBe(false);
    expect((await h.deps.stores.subscriptions.ofSession(monitor, h.clock.now())).map((s) => s.backlogged)).toEqual([undefined]);

    await h.send(sensor, 'sensor|temp|4');
    h.clock.advance(10_001);
    await via(msgack, monitor, { action: 'msgack', ids: ids() });
    expect(errors(monitor)).toEqual([]);
    expect(await flagged(monitor)).toBe(true);
  });

  it('a resume that holds what does not fit flags the session within its grants', async () => {
    const pub = await h.client();
    const device = await h.client({ qos: '1', clientId: 'grant-dev', session: 'persistent' });
    await h.send(device, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
    await h.disconnect(device);
    for (let i = 1; i <= 3; i += 1) await h.send(pub, { action: 'publish', controller: 'monitor', topic: 'cmd', data: i, qos: 1, id: `g${i}` });
    const back = await h.client({ qos: '1', clientId: 'grant-dev', session: 'persistent' });
    await via(resume, back, { action: 'resume' });
    expect(errors(back)).toEqual([]);
    expect(h.messages(back)).toHaveLength(2);
    expect(await flagged('grant-dev')).toBe(true);
  });
});
