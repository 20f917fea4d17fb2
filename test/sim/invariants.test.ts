import { describe, expect, it } from 'vitest';
import type { PendingEntry } from '../../lambdas/core/types.js';
import { checkAtRest } from './invariants.js';
import { Prng } from './prng.js';
import type { SimClient } from './sim-client.js';
import { simPolicy, World } from './world.js';

/**
 * The invariant checker on states planted by hand: it must stay quiet on a healthy world and
 * name each broken promise, or the explorer's "no violation" would mean nothing.
 */
async function healthyWorld(maxInflight = 100, sessionKind: 'clean' | 'persistent' = 'persistent'): Promise<{ world: World; publisher: SimClient; subscriber: SimClient }> {
  const world = new World(new Prng(1), simPolicy(maxInflight));
  const publisher = world.addClient({ name: 'pub', clientId: 'pub', sessionKind: 'persistent', claimedQos: 2, controllers: [], subscriptions: [] });
  const subscriber = world.addClient({
    name: 's1',
    clientId: 's1',
    sessionKind,
    claimedQos: 2,
    controllers: ['monitor'],
    subscriptions: [{ controller: 'monitor', topic: 't', qos: 2 }],
  });
  world.connect(publisher);
  world.connect(subscriber);
  await world.scheduler.runToQuiescence();
  return { world, publisher, subscriber };
}

const invariants = async (world: World) => (await checkAtRest(world)).map((v) => v.invariant);

function entry(subscriber: SimClient, id: string, extra: Partial<PendingEntry>): PendingEntry {
  const now = 4_000_000_000_000;
  return {
    sessionId: subscriber.sessionId,
    id,
    sessionKind: 'persistent',
    format: 'json',
    controller: 'monitor',
    topic: 't',
    data: 1,
    qos: 1,
    state: 'sent',
    parked: false,
    attempts: 1,
    createdAt: now,
    deadlineAt: now + 86_400_000,
    dueAt: now + 1_000,
    expiresAt: now + 2 * 86_400_000,
    ...extra,
  };
}

describe('invariants at rest', () => {
  it('a QoS 1 and a QoS 2 message answered to the end violate nothing', async () => {
    const { world, publisher, subscriber } = await healthyWorld();
    publisher.publish({ controller: 'monitor', topic: 't', data: 1, qos: 1 });
    publisher.publish({ controller: 'monitor', topic: 't', data: 2, qos: 2 });
    await world.scheduler.runToQuiescence();
    expect(subscriber.ready).toBe(true);
    expect(subscriber.app.map((m) => m.data).sort()).toEqual([1, 2]);
    expect(publisher.outbox.size).toBe(0);
    expect(await invariants(world)).toEqual([]);
  });

  it('names a message parked for a connected session, and one aimed at a dead connection', async () => {
    const { world, subscriber } = await healthyWorld();
    await world.stores.pending.putMany([entry(subscriber, 'm9001', { parked: true }), entry(subscriber, 'm9002', { connectionId: 'c-old' })]);
    expect(await invariants(world)).toEqual(['QoS message parked for a connected session', 'QoS message aimed at a dead connection of a connected session']);
  });

  it("names a connected session's subscription pointing away from its live connection", async () => {
    const { world, subscriber } = await healthyWorld();
    const now = world.clock.now();
    await world.stores.subscriptions.attach(subscriber.sessionId, undefined, now + 1000, now);
    expect(await invariants(world)).toEqual(["connected session's subscription detached"]);
  });

  it("names a connected session's record, connection and membership gone from its live connection", async () => {
    // A clean session: its memberships are its connection's, whatever the store keeps for persistent ones.
    const { world, subscriber } = await healthyWorld(100, 'clean');
    const live = subscriber.connectionId as string;
    const now = world.clock.now();
    await world.stores.connections.putSession({ sessionId: subscriber.sessionId, sessionKind: 'clean', connectionId: 'c-other', claimedQos: 2, format: 'json', expiresAt: now + 1000 });
    await world.stores.connections.delete({ connectionId: live, controllers: ['monitor'] });
    expect(await invariants(world)).toEqual([
      'connected session not pointing at its live connection',
      'connected session without its connection record',
      'connected session missing a membership',
    ]);
  });

  it('names a QoS 2 message sent again after its pubrec, and handed to the application twice', async () => {
    const { world, publisher, subscriber } = await healthyWorld();
    publisher.publish({ controller: 'monitor', topic: 't', data: 'gold', qos: 2 });
    await world.scheduler.runToQuiescence();
    const [first] = world.provenance.everStored.values();
    // The completed message's entry comes back, as a re-run hand-on's unconditional put makes it.
    await world.stores.pending.putMany([{ ...(first as PendingEntry), dueAt: world.clock.now() }]);
    world.sweep();
    await world.scheduler.runToQuiescence();
    expect(subscriber.app.map((m) => m.data)).toEqual(['gold', 'gold']);
    expect(await invariants(world)).toEqual(['QoS 2 message sent again after its pubrec', 'QoS 2 message handed to the application twice']);
  });

  it('names a held entry stranded below the cap', async () => {
    const { world, subscriber } = await healthyWorld(2);
    await world.stores.pending.putMany([entry(subscriber, 'm9003', { connectionId: subscriber.connectionId as string, held: true, attempts: 0 })]);
    // Its session flagged, as every hold leaves it: below the cap is the one thing wrong.
    await world.stores.connections.flagBacklog(subscriber.sessionId, world.clock.now() + 60_000);
    expect(await invariants(world)).toEqual(['held entry stranded']);
  });

  it('names a held entry, even at the cap, of a session lazy flow control does not know is backlogged', async () => {
    const { world, subscriber } = await healthyWorld(1);
    const connectionId = subscriber.connectionId as string;
    await world.stores.pending.putMany([entry(subscriber, 'm9004', { connectionId }), entry(subscriber, 'm9005', { connectionId, held: true, attempts: 0 })]);
    expect(await invariants(world)).toEqual(['held entry of a session not flagged backlogged']);
    await world.stores.connections.flagBacklog(subscriber.sessionId, world.clock.now() + 60_000);
    expect(await invariants(world)).toEqual([]);
  });

  it("names a persistent session's message that is gone without an ack", async () => {
    const { world, publisher, subscriber } = await healthyWorld();
    world.close(subscriber.connectionId as string, 'test');
    await world.scheduler.runToQuiescence();
    publisher.publish({ controller: 'monitor', topic: 't', data: 3, qos: 1 });
    await world.scheduler.runToQuiescence();
    await world.stores.pending.deleteSession(subscriber.sessionId, world.clock.now());
    expect(await invariants(world)).toEqual(['QoS message of a persistent session lost']);
  });
});
