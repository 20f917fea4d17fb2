import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../client/handlers.js';
import { topicMatches } from '../../client/topic-filter.js';
import { matches } from '../../lambdas/core/topic-filter.js';
import { openFakeClient } from './support/client-fixture.js';
import { settle } from './support/fakes.js';

const level = fc.constantFrom('a', 'b', 'site-1', 'temp', '');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/')).filter((t) => t.length > 0);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 4 }), fc.boolean())
  .map(([levels, multi]) => (multi ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

describe('the client’s topic filters (PROTOCOL §8)', () => {
  it('match exactly as the server’s do', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        expect(topicMatches(filter, topic)).toBe(matches(filter, topic));
      }),
      { numRuns: 2000 },
    );
  });

  it('subscribe(controller, filter, { handler }) sends the filter and dispatches messages under their concrete topics to it, and no others', async () => {
    const { client, socket } = await openFakeClient();
    const got: InboundMessage[] = [];
    const subscribed = client.subscribe('monitor', 'site-1/+/temp', { qos: 1, handler: (m) => void got.push(m) });
    expect(socket().frames()).toContainEqual({ action: 'subscribe', controller: 'monitor', topic: 'site-1/+/temp', qos: 1 });
    socket().deliver({ type: 'suback', controller: 'monitor', topic: 'site-1/+/temp', qos: 1 });
    expect(await subscribed).toBe(1);
    socket().deliver({ type: 'message', controller: 'monitor', topic: 'site-1/boiler/temp', data: 21, qos: 0, dup: false });
    socket().deliver({ type: 'message', controller: 'monitor', topic: 'site-1/boiler/humidity', data: 40, qos: 0, dup: false });
    socket().deliver({ type: 'message', controller: 'sensor', topic: 'site-1/boiler/temp', data: 1, qos: 0, dup: false });
    await settle();
    expect(got.map((m) => [m.controller, m.topic, m.data])).toEqual([['monitor', 'site-1/boiler/temp', 21]]);
    await client.close();
  });

  it('a handler on a # filter gets every topic under its levels, the parent level included', async () => {
    const { client, socket } = await openFakeClient();
    const topics: string[] = [];
    client.on('monitor', 'site-1/#', (m) => void topics.push(m.topic));
    for (const topic of ['site-1', 'site-1/a/b', 'site-10/a']) socket().deliver({ type: 'message', controller: 'monitor', topic, data: 0, qos: 0, dup: false });
    await settle();
    expect(topics).toEqual(['site-1', 'site-1/a/b']);
    await client.close();
  });
});
