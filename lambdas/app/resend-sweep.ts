import { decideResend } from '../core/pending.js';
import type { PendingEntry } from '../core/types.js';
import type { SweepConfig } from '../config.js';
import { deadLetter } from './dead-letter.js';
import type { AppDeps } from './deps.js';
import { connectionGone } from './connection-gone.js';
import { dropExpired } from './expired.js';
import { markBacklogged, sendHeld } from './flow-control.js';
import { mapLimit } from './map-limit.js';
import { sendFrame } from './sender.js';

const SWEEP_CONCURRENCY = 16;

export interface SweepStats {
  /** Entries the resend index said were due. */
  due: number;
  resent: number;
  deadLettered: number;
  /** Due entries another sweep, an ack or a resume got to first. */
  skipped: number;
  gone: number;
  /** Entries past their expiry that the resend index still listed, deleted on the way. */
  expired: number;
  /** Entries whose message expired (PROTOCOL §4 per-message expiry): dropped, not resent nor dead-lettered. */
  dropped: number;
  /** Passes over what was due (sweepOnce), and their wall-clock time all told, by the deps' clock. */
  batches: number;
  batchMs: number;
  /**
   * The longest pass: a further pass starts only with twice this left (and BATCH_MARGIN_MS at
   * least), so the first pass of an invocation is what its timeout must hold twice over (the
   * bench's sizing pass checks it, bench/bundled-sizing.ts).
   */
  longestBatchMs: number;
}

function emptySweep(): SweepStats {
  return { due: 0, resent: 0, deadLettered: 0, skipped: 0, gone: 0, expired: 0, dropped: 0, batches: 0, batchMs: 0, longestBatchMs: 0 };
}

/** Adds `stats` into `total`: counts add up, the longest pass is the longer. */
function addSweep(total: SweepStats, stats: SweepStats): void {
  const longest = Math.max(total.longestBatchMs, stats.longestBatchMs);
  for (const key of Object.keys(total) as Array<keyof SweepStats>) total[key] += stats[key];
  total.longestBatchMs = longest;
}

/**
 * One pass over what is due now (PROTOCOL §4 "Resending"). Reads only due entries (the
 * resend index, never a Scan) and claims each with a conditional write on the dueAt it saw,
 * so two sweeps at once never both send the same entry.
 */
export async function sweepOnce(deps: AppDeps, config: Pick<SweepConfig, 'batchSize'>, now: number): Promise<SweepStats> {
  const started = deps.clock.now();
  const stats = await sweepBatch(deps, config, now);
  stats.batches = 1;
  stats.batchMs = stats.longestBatchMs = Math.max(0, deps.clock.now() - started);
  return stats;
}

async function sweepBatch(deps: AppDeps, config: Pick<SweepConfig, 'batchSize'>, now: number): Promise<SweepStats> {
  const stats = emptySweep();
  const keys = await deps.stores.pending.due(now, config.batchSize);
  stats.due = keys.length;
  if (keys.length > 0) deps.metrics?.count('PendingDue', keys.length);
  if (keys.length === 0) return stats;
  const seenDueAt = new Map(keys.map((k) => [`${k.sessionId}\u0000${k.id}`, k.dueAt]));
  const entries = await deps.stores.pending.getMany(keys, now);
  // What getMany left out is gone (acked meanwhile) or expired: storage deletes expired items
  // up to days late, and while the index lists them they would be the oldest due, batch after
  // batch, and stop the sweep before it reaches live entries. Deleting them is progress.
  const found = new Set(entries.map((e) => `${e.sessionId}\u0000${e.id}`));
  const missing = keys.filter((k) => !found.has(`${k.sessionId}\u0000${k.id}`));
  stats.expired = missing.length > 0 ? await deps.stores.pending.deleteExpired(missing, now) : 0;
  stats.skipped += missing.length - stats.expired;
  const behind = new Map<string, { sessionId: string; connectionId: string }>();
  await mapLimit(entries, SWEEP_CONCURRENCY, async (entry) => {
    // The index is eventually consistent: act only on the entry as the index saw it.
    if (seenDueAt.get(`${entry.sessionId}\u0000${entry.id}`) !== entry.dueAt) {
      stats.skipped += 1;
      return;
    }
    await resendOne(deps, entry, now, stats, behind);
  });
  // Lazy flow control: a connected session that missed an ack timeout is flagged, so from now on
  // fan-out checks its cap (docs/protocol.md "Flow control": this bounds the overshoot). Once per
  // session per pass; the flag is idempotent, so a session flagged already costs little.
  if (deps.policy.flowControl === 'lazy' && deps.policy.maxInflight > 0) {
    await mapLimit([...behind.values()], SWEEP_CONCURRENCY, (s) => markBacklogged(deps, s.sessionId, s.connectionId, now));
  }
  return stats;
}

async function resendOne(
  deps: AppDeps,
  entry: PendingEntry,
  now: number,
  stats: SweepStats,
  behind: Map<string, { sessionId: string; connectionId: string }>,
): Promise<void> {
  const decision = decideResend(entry, now, deps.policy);
  if (decision.kind === 'expire') {
    if (!(await dropExpired(deps, entry))) {
      stats.skipped += 1;
      return;
    }
    stats.dropped += 1;
    await sendHeldAfter(deps, entry, now);
    return;
  }
  if (decision.kind === 'dead-letter') {
    if (!(await deadLetter(deps, entry, decision.reason, now))) {
      stats.skipped += 1;
      return;
    }
    stats.deadLettered += 1;
    await sendHeldAfter(deps, entry, now);
    return;
  }
  const claimed = await deps.stores.pending.replaceIf(decision.next, entry.dueAt);
  if (!claimed) {
    stats.skipped += 1;
    return;
  }
  if (decision.kind === 'repark') return;
  const connectionId = decision.next.connectionId as string;
  const result = await sendFrame(deps, { connectionId, format: entry.format }, decision.frame);
  // Flagged at an entry's first missed ack only: a later resend of it would flag a session that
  // an ack since cleared (at most maxInflight / 2 in flight) again, at about 6 requests a time,
  // but bounds nothing the first misses of the messages sent since do not (docs/protocol.md
  // "Flow control": the overshoot bound is about messages sent unflagged, and each of those
  // flags the session at its own first miss).
  if (result !== 'gone' && entry.attempts <= 1) behind.set(`${entry.sessionId}\u0000${connectionId}`, { sessionId: entry.sessionId, connectionId });
  if (result === 'gone') {
    stats.gone += 1;
    const send = { connectionId, sessionId: entry.sessionId, sessionKind: entry.sessionKind, format: entry.format, frame: decision.frame, entry: decision.next };
    await connectionGone(deps, send, now);
  } else if (result === 'ok') {
    stats.resent += 1;
    deps.metrics?.count('Resent');
  }
}

/**
 * Flow control: a message that was in flight made room, so the client's oldest held one goes
 * (else a client that stopped acking for a while and came back would get nothing more).
 */
async function sendHeldAfter(deps: AppDeps, entry: PendingEntry, now: number): Promise<void> {
  const connectionId = entry.connectionId;
  if (!entry.held && !entry.parked && connectionId !== undefined) {
    await sendHeld(deps, entry.sessionId, connectionId, (frame) => sendFrame(deps, { connectionId, format: entry.format }, frame), now);
  }
}

/**
 * Time the sweep keeps in hand before it takes another batch: a batch's claims, resends and the
 * inline page of a will its gone sends may publish (app/deliver.ts), with room to spare. At
 * least: a pass can take longer than this where CPU is scarce (the bench's sizing pass estimates
 * a pass of 100 resends at about 20 s at 256 MB), so the sweep keeps twice its longest pass so
 * far in hand when that is more ({@link timeForAnotherPass}).
 */
export const BATCH_MARGIN_MS = 10_000;

/** Whether a sweep with `remainingMs` left may take another pass, having seen passes of up to `longestPassMs`: twice that in hand, and never under BATCH_MARGIN_MS. */
export function timeForAnotherPass(remainingMs: number, longestPassMs: number): boolean {
  return remainingMs >= Math.max(BATCH_MARGIN_MS, 2 * longestPassMs);
}

/**
 * Sweeps until nothing more is due now (a full batch means there may be more), or until the
 * invocation's time runs short (`hasTime`, asked before each further batch with the longest
 * pass so far): what is left stays due, and the next sweep takes it, so a backlog of any size
 * never runs a sweep into its timeout.
 */
export async function sweepDue(
  deps: AppDeps,
  config: Pick<SweepConfig, 'batchSize'>,
  now: number,
  hasTime: (longestPassMs: number) => boolean = () => true,
): Promise<SweepStats> {
  const total = emptySweep();
  for (;;) {
    const stats = await sweepOnce(deps, config, now);
    addSweep(total, stats);
    // Stop when the batch was not full, or when nothing in it could be claimed (no progress).
    if (stats.due < config.batchSize || stats.skipped === stats.due || !hasTime(total.longestBatchMs)) return total;
  }
}

/**
 * The scheduled invocation: EventBridge fires at most once a minute, so one invocation keeps
 * sweeping every `intervalMs` for `windowMs` (bounded by the Lambda's remaining time).
 */
export async function sweepForWindow(
  deps: AppDeps,
  config: SweepConfig,
  remainingMs: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<SweepStats> {
  const total = emptySweep();
  const started = deps.clock.now();
  for (;;) {
    const stats = await sweepDue(deps, config, deps.clock.now(), (longest) => timeForAnotherPass(remainingMs(), Math.max(longest, total.longestBatchMs)));
    addSweep(total, stats);
    const elapsed = deps.clock.now() - started;
    // Leave a safety margin of one interval plus 5 s before the Lambda timeout.
    if (elapsed + config.intervalMs >= config.windowMs || remainingMs() < config.intervalMs + 5000) return total;
    await sleep(config.intervalMs);
    // The time may have run out while waiting (a runtime that is stopping says so).
    if (remainingMs() < 5000) return total;
  }
}
