import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionGateway } from '../../lambdas/ports/connection-gateway.js';
import { Harness } from '../support/harness.js';

/**
 * The project's dying-gateway fault (test/faults/fault-injection.test.ts), aimed: posts to
 * `hangOn` never return (the Lambda is killed there); `died` resolves once that post was made
 * and every other post already made has completed, so the test knows what got through.
 */
function gatewayDyingAt(real: ConnectionGateway, hangOn: string): ConnectionGateway & { died: Promise<void> } {
  const made: Array<Promise<unknown>> = [];
  let die: () => void = () => {};
  const died = new Promise<void>((resolve) => (die = resolve));
  return {
    died,
    post: (connectionId, frame) => {
      if (connectionId === hangOn) {
        // A fan-out makes its posts in one go: the next macrotask sees all of them made.
        setImmediate(() => void Promise.allSettled(made).then(() => die()));
        return new Promise<never>(() => {});
      }
      const post = real.post(connectionId, frame);
      made.push(post);
      return post;
    },
    disconnect: (connectionId) => real.disconnect(connectionId),
    isOpen: (connectionId) => real.isOpen(connectionId),
  };
}

describe('a QoS 2 hand-on run again after it died part way (issue 12 A, PROTOCOL §4)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('sends nothing again to recipients that answered pubrec or completed, and still reaches the rest', async () => {
    h = await Harness.start();
    const real = h.deps.gateway;
    const [a, b, c] = [await h.client({ qos: '2' }), await h.client({ qos: '2' }), await h.client({ qos: '2' })] as [string, string, string];
    for (const s of [a, b, c]) await h.send(s, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q' });

    // The first pubrel's hand-on stores every entry, posts to a and b, and dies posting to c.
    const dying = gatewayDyingAt(real, c);
    h.deps.gateway = dying;
    void h.send(publisher, { action: 'pubrel', id: 'q' }).catch(() => {});
    await dying.died;
    h.deps.gateway = real;
    const [toA] = h.messages(a);
    const [toB] = h.messages(b);
    expect(toA).toMatchObject({ data: 'gold', qos: 2, dup: false });
    expect(toB).toMatchObject({ data: 'gold', qos: 2, dup: false });

    // Meanwhile a answers pubrec (released) and b completes (pubrec, pubrel, msgack).
    await h.send(a, { action: 'pubrec', id: toA?.id });
    await h.send(b, { action: 'pubrec', id: toB?.id });
    await h.send(b, { action: 'msgack', ids: [toB?.id] });
    expect(await h.pendingOf(b)).toEqual([]);

    // The lease runs out; the publisher's repeated pubrel runs the hand-on again, same server id.
    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.send(publisher, { action: 'pubrel', id: 'q' });

    // a: once pubrec is in, the message itself is never sent again; its entry stays released.
    expect(h.messages(a)).toHaveLength(1);
    expect(await h.pendingOf(a)).toMatchObject([{ id: toA?.id, state: 'released' }]);
    // b: completed, so nothing is brought back and its application gets the message once.
    expect(h.messages(b)).toHaveLength(1);
    expect(await h.pendingOf(b)).toEqual([]);
    // c never got it: the re-run sends it (it may have been posted: dup true).
    expect(h.messages(c)).toEqual([expect.objectContaining({ data: 'gold', qos: 2, id: toA?.id, dup: true })]);

    // Nor does the sweep send a or b anything but what their step is.
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    await h.sweep();
    expect(h.messages(a)).toHaveLength(1);
    expect(h.frames(a).at(-1)).toMatchObject({ type: 'pubrel', id: toA?.id });
    expect(h.frames(b).filter((f) => f.type !== 'suback')).toHaveLength(2); // the message and the pubrel
    expect(h.frames(publisher).filter((f) => f.type === 'msgack')).toEqual([{ type: 'msgack', id: 'q', recipients: 3 }]);
  });

  it('nor brings back a recipient’s entry that was dead-lettered meanwhile (after its pubrec)', async () => {
    h = await Harness.start({ policy: { attemptLimit: 1 } });
    const real = h.deps.gateway;
    const a = await h.client({ qos: '2' });
    const c = await h.client({ qos: '2' });
    for (const s of [a, c]) await h.send(s, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q' });
    const dying = gatewayDyingAt(real, c);
    h.deps.gateway = dying;
    void h.send(publisher, { action: 'pubrel', id: 'q' }).catch(() => {});
    await dying.died;
    h.deps.gateway = real;
    const [toA] = h.messages(a);
    await h.send(a, { action: 'pubrec', id: toA?.id });
    // a never answers the pubrel: at the attempt limit its entry becomes a dead letter.
    h.clock.advance(h.deps.policy.ackTimeoutMs);
    await h.sweep();
    expect(await h.deps.stores.deadLetters.ofSession(a, h.clock.now())).toMatchObject([{ entry: { state: 'released' } }]);

    h.clock.advance(h.deps.policy.releaseLeaseMs);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    expect(h.messages(a)).toHaveLength(1);
    expect(await h.pendingOf(a)).toEqual([]);
  });

  it('a re-run leaves an unanswered QoS 1 entry of the same hand-on as it was in flight, attempts counted on', async () => {
    h = await Harness.start();
    const real = h.deps.gateway;
    // A QoS 1 subscriber of a QoS 2 publish gets it at QoS 1 (min of the two), under the same server id.
    const one = await h.client({ qos: '1' });
    const two = await h.client({ qos: '2' });
    await h.send(one, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 1 });
    await h.send(two, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q' });

    const dying = gatewayDyingAt(real, two);
    h.deps.gateway = dying;
    void h.send(publisher, { action: 'pubrel', id: 'q' }).catch(() => {});
    await dying.died;
    h.deps.gateway = real;
    const [first] = await h.pendingOf(one);
    expect(first).toMatchObject({ qos: 1, attempts: 1 });

    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    // Sent again as the sweep would have: a repeat (dup), the attempt counted, not a new first sending.
    expect(h.messages(one).map((m) => m.dup)).toEqual([false, true]);
    expect(await h.pendingOf(one)).toMatchObject([{ id: first?.id, attempts: 2, createdAt: first?.createdAt }]);
  });

  it('a re-run does not post again an entry that is in flight and not due (the sweep has just sent it)', async () => {
    h = await Harness.start();
    const real = h.deps.gateway;
    const a = await h.client({ qos: '2' });
    const c = await h.client({ qos: '2' });
    for (const s of [a, c]) await h.send(s, { action: 'subscribe', controller: 'monitor', topic: 'vault', qos: 2 });
    const publisher = await h.client({ qos: '2', clientId: 'bank' });
    await h.send(publisher, { action: 'publish', controller: 'monitor', topic: 'vault', data: 'gold', qos: 2, id: 'q' });
    const dying = gatewayDyingAt(real, c);
    h.deps.gateway = dying;
    void h.send(publisher, { action: 'pubrel', id: 'q' }).catch(() => {});
    await dying.died;
    h.deps.gateway = real;

    // a has not answered; when the lease runs out the sweep sends it again (due long since), and
    // right after, the publisher's repeated pubrel runs the hand-on again.
    h.clock.advance(h.deps.policy.releaseLeaseMs + 1);
    await h.sweep();
    expect(h.messages(a).map((m) => m.dup)).toEqual([false, true]);
    await h.send(publisher, { action: 'pubrel', id: 'q' });
    // A third post would be in flight together with the sweep's: one that lands after a's pubrec
    // is a new message to a client that completed the id (PROTOCOL §4).
    expect(h.messages(a).map((m) => m.dup)).toEqual([false, true]);
    expect(await h.pendingOf(a)).toMatchObject([{ state: 'sent', connectionId: a }]);
  });
});
