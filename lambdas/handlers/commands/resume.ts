import { deadLetter } from '../../app/dead-letter.js';
import { markBacklogged, sendHeld } from '../../app/flow-control.js';
import { mapLimit } from '../../app/map-limit.js';
import { dropExpired } from '../../app/expired.js';
import { hold, isExpiredEntry, resumeEntry, stepFrame, wasSent } from '../../core/pending.js';
import type { PendingEntry } from '../../core/types.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §2 resume, §4 persistent sessions: every pending message of the session is sent
 * again now over this connection (the last unanswered step: the message, `dup: true` if it was
 * sent before, or pubrel once released), but QoS 2 messages already in flight on this
 * connection (PROTOCOL §4: once pubrec is in, the message is never sent again; the sweep
 * repeats them).
 * Entries past their TTL are dead-lettered instead; entries whose message expired are dropped
 * (PROTOCOL §4 per-message expiry). With flow control
 * on, only the oldest `maxInflight` are sent; the rest are held and go as acks free room.
 */
export const resume: CommandHandler<'resume'> = async (_command, context, deps) => {
  const { connection, now } = context;
  const entries = (await deps.stores.pending.ofSession(connection.sessionId, now)).sort((a, b) => a.createdAt - b.createdAt);
  const max = deps.policy.maxInflight;
  const live = entries.filter((e) => now < e.deadlineAt && !isExpiredEntry(e, now));
  const turn = new Map(live.map((e, i) => [e.id, i]));
  let held = 0;
  const resumeOne = async (entry: PendingEntry, again: boolean): Promise<void> => {
    // Being dead-lettered right now: the sweep finishes that if its lease runs out.
    if (entry.deadLettering) return;
    // A QoS 2 message in flight on this very connection already: whoever claimed it posted it
    // here (a fan-out after the takeover, a gone send handing it on), and the sweep repeats it
    // if unanswered. Posted again now, it could land after the client's pubrec and be taken
    // for a new message (PROTOCOL §4). (A QoS 1 repeat is only a dup: it goes, as before.)
    if (isQos2InFlightOn(entry, connection.connectionId) && now < entry.deadlineAt) return;
    // PROTOCOL §4 per-message expiry: a backlog message that expired while the session was away
    // is dropped (counted), never sent; nor dead-lettered, even when its TTL ran out as well.
    if (isExpiredEntry(entry, now)) {
      await dropExpired(deps, entry);
      return;
    }
    if (now >= entry.deadlineAt) {
      await deadLetter(deps, entry, 'ttl', now);
      return;
    }
    const holdIt = max > 0 && (turn.get(entry.id) ?? 0) >= max;
    const next = holdIt
      ? { ...hold(entry), connectionId: connection.connectionId, parked: false }
      : resumeEntry(entry, connection.connectionId, now, deps.policy);
    // Conditional on the dueAt seen: a sweep sending it right now keeps it, and we skip.
    if (await deps.stores.pending.replaceIf(next, entry.dueAt)) {
      if (holdIt) held += 1;
      else await context.reply(stepFrame(next, wasSent(entry), now));
      return;
    }
    // Or the old connection's cleanup (or a gone send) parked it after our read: parked, it
    // would wait for a resume that has come already. Read once more and take it from there.
    if (again) return;
    const [fresh] = await deps.stores.pending.getMany([entry], now);
    if (fresh?.parked) await resumeOne(fresh, true);
  };
  await mapLimit(entries, 16, (entry) => resumeOne(entry, false));
  // Lazy flow control: held entries go only as a flagged session's acks free room, so the session
  // is flagged once they are stored, then read once more: an ack that came before the flag did
  // not look (app/flow-control.ts).
  if (held > 0 && deps.policy.flowControl === 'lazy') {
    await markBacklogged(deps, connection.sessionId, connection.connectionId, now);
    await sendHeld(deps, connection.sessionId, connection.connectionId, context.reply, now);
  }
};

/** A QoS 2 message (not yet pubrec'd) posted on this connection and waiting for its answer there. */
function isQos2InFlightOn(entry: PendingEntry, connectionId: string): boolean {
  return entry.qos === 2 && entry.state === 'sent' && entry.connectionId === connectionId && !entry.parked && !entry.held;
}
