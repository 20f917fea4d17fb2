import type { PendingEntry } from '../../lambdas/core/types.js';
import { subKey, type SimClient } from './sim-client.js';
import type { Write } from './provenance.js';
import type { Violation, World } from './world.js';

/**
 * The invariants of PROTOCOL §4, checked once a schedule has come to rest (every closed
 * connection's $disconnect delivered or lost for good, every client back, resumed and
 * answered, the clock moved on and the sweep run):
 *
 * 1. every QoS 1/2 message is acked by its recipient, or still pending and deliverable: never
 *    parked for, nor aimed at another connection than, a connected session (a session served
 *    by a live connection that has resumed); none of a persistent session's is lost;
 * 2. no QoS 2 message is handed to a recipient's application twice, nor sent again as a
 *    `message` frame after its pubrec (checked as each frame is posted, see World.post);
 * 3. no held entry (flow control) is stranded: a connected session with held entries is at its cap,
 *    and, with lazy flow control, flagged as backlogged (else its acks would not look for them);
 * 4. no session's state is touched by another connection's cleanup: a connected session's
 *    record, connection, memberships and subscriptions all point at its live connection.
 *
 * Each violation names the invocation that last wrote the record, and from that which known race
 * of issue 12 it is: A (a retried QoS 2 hand-on), B (a Gone post parking over a newer connection),
 * C (the old connection's $disconnect racing a takeover), or `new`.
 */
export async function checkAtRest(world: World): Promise<Violation[]> {
  const violations: Violation[] = [...world.violations];
  for (const failure of world.scheduler.failures) {
    violations.push({ invariant: 'an invocation threw', race: 'new', detail: `${failure.task}: ${failure.error}` });
  }
  for (const client of world.clients) {
    for (const { id, first, second } of client.twice) {
      violations.push({
        invariant: 'QoS 2 message handed to the application twice',
        race: world.provenance.rewrittenByRerun.has(`${client.sessionId}/${id}`) ? 'A' : 'new',
        via: world.provenance.rewrittenByRerun.get(`${client.sessionId}/${id}`)?.kind ?? second.postedBy.split('#')[0],
        detail: `${client.name} got ${id} from ${first.postedBy} and again, after completing it, from ${second.postedBy}${rewrite(world.provenance.rewrittenByRerun.get(`${client.sessionId}/${id}`))}`,
      });
    }
    if (client.persistent) violations.push(...(await lost(world, client)));
    if (client.ready) violations.push(...(await connectedSession(world, client)));
  }
  return violations;
}

/** Invariants 1, 3 and 4 for a client that is connected, resumed and subscribed. */
async function connectedSession(world: World, client: SimClient): Promise<Violation[]> {
  const { stores } = world;
  const now = world.clock.now();
  const live = client.connectionId as string;
  const sessionId = client.sessionId;
  const out: Violation[] = [];
  // A post to the live connection during its own $connect answers Gone (API Gateway: 410 until
  // $connect returns), and its cleanup ends the live connection: everything after follows from that.
  const endedByOwnGone = [world.provenance.connectionDeletes.get(live), world.provenance.sessionWrites.get(sessionId)].some((w) => w?.gone?.includes(live) && w.kind !== '$disconnect');
  const race = (r: Violation['race']): Violation['race'] => (endedByOwnGone && r === 'B' ? 'new' : r);
  const touched = (invariant: string, detail: string, by: Write | undefined) =>
    out.push({ invariant, race: cleanupRace(client, by, live), ...(by ? { via: by.kind } : {}), detail: `${client.name} on ${live}: ${detail}${by ? `; last written by ${by.task} (${by.what}, step ${by.step})` : ''}` });

  const session = await stores.connections.getSession(sessionId, now);
  if (session?.connectionId !== live) {
    touched('connected session not pointing at its live connection', `session record points at ${session?.connectionId ?? 'no connection'}`, world.provenance.sessionWrites.get(sessionId));
  }
  if (!(await stores.connections.get(live, now))) {
    touched('connected session without its connection record', `the record of ${live} is gone`, world.provenance.connectionDeletes.get(live));
  }
  for (const controller of client.spec.controllers) {
    let member = false;
    for await (const page of stores.connections.membersOf(controller, now)) member ||= page.some((r) => r.connectionId === live);
    if (!member) touched('connected session missing a membership', `not a member of ${controller}`, world.provenance.membershipWrites.get(sessionId) ?? world.provenance.connectionDeletes.get(live));
  }
  const subscriptions = await stores.subscriptions.ofSession(sessionId, now);
  for (const wanted of client.spec.subscriptions) {
    const stored = subscriptions.find((s) => subKey(s) === subKey(wanted));
    const by = world.provenance.subscriptionWrites.get(sessionId);
    if (!stored) touched('connected session lost a subscription', `${subKey(wanted)} is gone`, by);
    else if (stored.connectionId !== live) touched('connected session\'s subscription detached', `${subKey(wanted)} points at ${stored.connectionId ?? 'no connection'}`, by);
  }

  const entries = await stores.pending.ofSession(sessionId, now);
  const max = world.deps.policy.maxInflight;
  const held = entries.filter((e) => e.held);
  const inflight = entries.filter((e) => !e.held && !e.parked).length;
  for (const entry of entries) {
    const k = `${sessionId}/${entry.id}`;
    const by = world.provenance.pendingWrites.get(k);
    if (entry.parked) {
      out.push({ invariant: 'QoS message parked for a connected session', race: race(parkRace(world, client, by, live)), ...(by ? { via: by.kind } : {}), detail: `${client.name} on ${live}: ${describe(entry)}${by ? `; parked by ${by.task} (step ${by.step}${goneNote(world, client, by)})` : ''}` });
    } else if (!entry.held && entry.connectionId !== live) {
      out.push({ invariant: 'QoS message aimed at a dead connection of a connected session', race: race(parkRace(world, client, by, live)), ...(by ? { via: by.kind } : {}), detail: `${client.name} on ${live}: ${describe(entry)}${by ? `; last written by ${by.task} (${by.what})` : ''}` });
    }
  }
  if (max > 0 && held.length > 0 && inflight < max) {
    out.push({ invariant: 'held entry stranded', race: 'new', detail: `${client.name} on ${live}: ${held.length} held with ${inflight} in flight under a cap of ${max}: ${held.map(describe).join(', ')}` });
  }
  // Lazy flow control (issue 13): only a flagged session's acks read it and send what is held.
  if (max > 0 && held.length > 0 && world.deps.policy.flowControl === 'lazy' && !(await stores.connections.getBacklog(sessionId, now)).backlogged) {
    out.push({ invariant: 'held entry of a session not flagged backlogged', race: 'new', detail: `${client.name} on ${live}: ${held.length} held (${held.map(describe).join(', ')}) but its acks would not look for them` });
  }
  return out;
}

/**
 * Invariant 1: a persistent session's messages are acked, pending or dead-lettered, never just
 * gone. Judged by outcome (what the client acked, what the stores hold), not by which store
 * method removed an entry, so it holds whatever methods a store offers.
 */
async function lost(world: World, client: SimClient): Promise<Violation[]> {
  const now = world.clock.now();
  const pending = new Set((await world.stores.pending.ofSession(client.sessionId, now)).map((e) => e.id));
  const dead = new Set((await world.stores.deadLetters.ofSession(client.sessionId, now)).map((l) => l.entry.id));
  const out: Violation[] = [];
  for (const [k, entry] of world.provenance.everStored) {
    if (entry.sessionId !== client.sessionId || pending.has(entry.id) || client.acked.has(entry.id) || dead.has(entry.id)) continue;
    const deletion = world.provenance.pendingDeletes.get(k);
    out.push({
      invariant: 'QoS message of a persistent session lost',
      race: 'new',
      ...(deletion ? { via: deletion.kind } : {}),
      detail: `${client.name}: ${entry.id} (qos ${entry.qos}) is neither acked, pending nor dead-lettered${deletion ? `; ${deletion.what} by ${deletion.task} (step ${deletion.step})` : ''}`,
    });
  }
  return out;
}

/** Who parked (or re-aimed) an entry of a connected session: a Gone post (B) or an old connection's cleanup (C). */
function parkRace(world: World, client: SimClient, by: Write | undefined, live: string): Violation['race'] {
  if (!by || !client.persistent) return 'new';
  if (by.kind === '$disconnect' && !by.task.endsWith(`@${live}`)) return 'C';
  // B: a sweep's or a fan-out's post to an older connection of this client answered Gone, and the
  // entry was then parked (or kept aimed at it) by a conditional write. Not B: a fan-out storing
  // the entry parked, or a Gone from the live connection's own $connect (races of their own).
  const olderOwn = olderGone(world, client, by, live) !== undefined && !by.gone?.includes(live);
  const afterGone = by.what === 'parked' || by.what.startsWith('set @');
  return ['sweep', 'publish', 'pubrel', 'subscribe'].includes(by.kind) && olderOwn && afterGone ? 'B' : 'new';
}

/** A connected persistent session's state last written by another connection's $disconnect: C. */
function cleanupRace(client: SimClient, by: Write | undefined, live: string): Violation['race'] {
  return by && by.kind === '$disconnect' && client.persistent && !by.task.endsWith(`@${live}`) ? 'C' : 'new';
}

/**
 * The older connection of this client whose post answered Gone before the write, if any. One that
 * never opened does not count: the session pointed at it only because a handshake the client gave
 * up on finished late (a race of its own).
 */
function olderGone(world: World, client: SimClient, by: Write, live: string): string | undefined {
  return by.gone?.find((c) => c !== live && world.connections.get(c)?.client === client && world.connections.get(c)?.opened === true);
}

function goneNote(world: World, client: SimClient, by: Write): string {
  const own = by.gone?.filter((c) => world.connections.get(c)?.client === client) ?? [];
  return own.length > 0 ? `, after a post to ${own.join(', ')} answered Gone` : '';
}

function rewrite(write: Write | undefined): string {
  return write ? ` (its entry was put again by ${write.task} at step ${write.step}: a re-run of its hand-on)` : '';
}

function describe(entry: PendingEntry): string {
  return `${entry.id} (qos ${entry.qos}, ${entry.state}${entry.parked ? ', parked' : ''}${entry.held ? ', held' : ''}${entry.connectionId ? ` @${entry.connectionId}` : ''})`;
}
