import { resumeEntry, stepFrame, wasSent } from '../core/pending.js';
import type { PendingEntry } from '../core/types.js';
import { connectionGone } from './connection-gone.js';
import type { AppDeps } from './deps.js';
import { mapLimit } from './map-limit.js';
import { sendFrame } from './sender.js';

/** Session reads in flight at once. */
const UNPARK_CONCURRENCY = 16;

/**
 * A fan-out that read a persistent session as away (no connection) stores its entry parked,
 * for the session's next `resume`. But a new connection may have taken the session over and
 * resumed between that read and the store: its resume read the entries before this one was
 * there, and the entry would wait for a resume that has come already (PROTOCOL §4: a QoS 1/2
 * message is never parked for a connected session). So the session of each parked entry is
 * read again once the entry is stored; if a connection serves it now, the entry goes there
 * and stays in flight, claimed by a conditional write on the dueAt it was stored with (a
 * resume or a sweep that got there first has its way). One read per away recipient: the path
 * of connected recipients costs nothing more.
 */
export async function unparkForConnectedSessions(deps: AppDeps, stored: PendingEntry[], now: number, sentAt: number = now): Promise<void> {
  const parked = stored.filter((entry) => entry.parked);
  await mapLimit(parked, UNPARK_CONCURRENCY, async (entry) => {
    const session = await deps.stores.connections.getSession(entry.sessionId, now);
    const connectionId = session?.connectionId;
    if (session === undefined || connectionId === undefined) return;
    const next = { ...resumeEntry(entry, connectionId, now, deps.policy), format: session.format };
    if (!(await deps.stores.pending.replaceIf(next, entry.dueAt))) return;
    // Sent at `sentAt` (a page job's worker time): the seconds its message has left count from then (PROTOCOL §4).
    const frame = stepFrame(next, wasSent(entry), sentAt);
    if ((await sendFrame(deps, { connectionId, format: session.format }, frame)) === 'gone') {
      await connectionGone(deps, { connectionId, sessionId: entry.sessionId, sessionKind: entry.sessionKind, format: session.format, frame, entry: next }, now);
    }
  });
}
