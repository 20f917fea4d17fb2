import { deadLetter } from '../../app/dead-letter.js';
import { mapLimit } from '../../app/map-limit.js';
import { hold, resumeEntry, stepFrame, wasSent } from '../../core/pending.js';
import type { CommandHandler } from '../frame-context.js';

/**
 * PROTOCOL §2 resume, §4 persistent sessions: every pending message of the session is sent
 * again now over this connection (the last unanswered step: the message, `dup: true` if it was
 * sent before, or pubrel once released). Entries past their TTL are dead-lettered instead. With flow control
 * on, only the oldest `maxInflight` are sent; the rest are held and go as acks free room.
 */
export const resume: CommandHandler<'resume'> = async (_command, context, deps) => {
  const { connection, now } = context;
  const entries = (await deps.stores.pending.ofSession(connection.sessionId, now)).sort((a, b) => a.createdAt - b.createdAt);
  const max = deps.policy.maxInflight;
  const live = entries.filter((e) => now < e.deadlineAt);
  const turn = new Map(live.map((e, i) => [e.id, i]));
  await mapLimit(entries, 16, async (entry) => {
    // Being dead-lettered right now: the sweep finishes that if its lease runs out.
    if (entry.deadLettering) return;
    if (now >= entry.deadlineAt) {
      await deadLetter(deps, entry, 'ttl', now);
      return;
    }
    if (max > 0 && (turn.get(entry.id) ?? 0) >= max) {
      await deps.stores.pending.replaceIf({ ...hold(entry), connectionId: connection.connectionId, parked: false }, entry.dueAt);
      return;
    }
    const next = resumeEntry(entry, connection.connectionId, now, deps.policy);
    // Conditional on the dueAt seen: a sweep sending it right now keeps it, and we skip.
    if (await deps.stores.pending.replaceIf(next, entry.dueAt)) await context.reply(stepFrame(next, wasSent(entry)));
  });
};
