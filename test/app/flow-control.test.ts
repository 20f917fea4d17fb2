import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

const persistent = { qos: '1', clientId: 'dev-5', session: 'persistent' } as const;

/** A persistent client A with a cap of 1: "one" in flight, "two" held behind it. */
async function oneInFlightOneHeld(h: Harness) {
  const publisher = await h.client();
  const a = await h.client(persistent);
  await h.send(a, { action: 'subscribe', controller: 'monitor', topic: 'cmd', qos: 1 });
  await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'one', qos: 1, id: 'p1' });
  h.clock.advance(1);
  await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'two', qos: 1, id: 'p2' });
  return { publisher, a };
}

describe('flow control and a persistent session that comes back (issue 12)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('held entries parked by a disconnect do not make a reconnected client that never resumes wait', async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1 } });
    const { publisher, a } = await oneInFlightOneHeld(h);
    expect(h.messages(a).map((m) => m.data)).toEqual(['one']);
    expect((await h.pendingOf('dev-5')).map((e) => [e.data, e.held ?? false])).toEqual([
      ['one', false],
      ['two', true],
    ]);
    await h.disconnect(a);

    // Back as B, without resume: its new message is sent at once, not held behind the backlog.
    const b = await h.client(persistent);
    h.clock.advance(1);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'three', qos: 1, id: 'p3' });
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'three', dup: false })]);

    // Nothing was dropped: resume sends the backlog, oldest first as room allows; "two" was never sent before.
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[0]?.id] });
    await h.send(b, { action: 'resume' });
    expect(h.messages(b).map((m) => [m.data, m.dup])).toEqual([
      ['three', false],
      ['one', true],
    ]);
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[1]?.id] });
    expect(h.messages(b).map((m) => [m.data, m.dup])).toEqual([
      ['three', false],
      ['one', true],
      ['two', false],
    ]);
    await h.send(b, { action: 'msgack', ids: [h.messages(b)[2]?.id] });
    expect(await h.pendingOf('dev-5')).toEqual([]);
  });

  it('with the old connection’s $disconnect late, its in-flight and held entries do not take the new connection’s room', async () => {
    h = await Harness.start({ policy: { flowControl: 'strict', maxInflight: 1 } });
    const { publisher, a } = await oneInFlightOneHeld(h);
    // A's socket drops; its $disconnect has not come yet. The client takes the session over as B.
    h.endpoint.markGone(a);
    const b = await h.client(persistent);
    h.clock.advance(1);
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'cmd', data: 'three', qos: 1, id: 'p3' });
    // B has nothing in flight, so its message goes at once (it used to wait: B had nothing to ack).
    expect(h.messages(b)).toEqual([expect.objectContaining({ data: 'three', dup: false })]);
  });
});
