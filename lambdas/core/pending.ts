import { endOf, expiryField, isExpired } from './expiry.js';
import { resendDelay, type QosPolicy } from './policy.js';
import type { DeadLetterReason, PendingEntry, Recipient, ServerFrame } from './types.js';

/**
 * The server-to-client QoS 1 and 2 state machine (PROTOCOL §4), as pure transitions of a
 * PendingEntry. The shell stores what these return, and sends only after storing.
 *
 *   QoS 1:  [sent] --msgack--> (deleted)
 *   QoS 2:  [sent] --pubrec--> [released] --msgack--> (completed: a tombstone until its deadline)
 *
 * "The last unanswered step" is the message while `sent` and `pubrel` once `released`;
 * it is sent again after the ack timeout, then with doubling backoff up to the cap, until
 * answered, until the attempt limit, or until the message TTL: then it is dead-lettered.
 */

/** What one message to one recipient carries. */
export interface OutboundMessage {
  controller: string;
  topic: string;
  data: unknown;
  retained?: boolean;
  /** PROTOCOL §4 per-message expiry: the message's end (ms), if it has one. */
  messageExpiresAt?: number;
}

/**
 * A new pending entry for a recipient. A connected recipient is sent the message right
 * after the entry is stored, so it counts as the first attempt; a persistent session that is
 * away gets the entry parked until it resumes (its dueAt is its deadline, see PendingEntry).
 */
export function newPendingEntry(
  recipient: Recipient,
  message: OutboundMessage,
  id: string,
  qos: 1 | 2,
  now: number,
  policy: QosPolicy,
): PendingEntry {
  const deadlineAt = now + policy.messageTtlMs;
  const connected = recipient.connectionId !== undefined;
  // Due no later than the message's end (if sooner than the TTL), so the sweep drops it then.
  const lastSend = endOf(message, deadlineAt);
  return {
    sessionId: recipient.sessionId,
    id,
    ...(connected ? { connectionId: recipient.connectionId } : {}),
    sessionKind: recipient.sessionKind,
    format: recipient.format,
    controller: message.controller,
    topic: message.topic,
    data: message.data,
    qos,
    ...(message.retained ? { retained: true } : {}),
    ...(message.messageExpiresAt !== undefined ? { messageExpiresAt: message.messageExpiresAt } : {}),
    state: 'sent',
    parked: !connected,
    ...(connected ? { sent: true } : {}),
    attempts: connected ? 1 : 0,
    createdAt: now,
    deadlineAt,
    dueAt: connected ? Math.min(now + resendDelay(policy, 1), lastSend) : lastSend,
    // Storage forgets it no later than needed: the grace after its deadline or its message's end.
    expiresAt: lastSend + policy.expiryGraceMs,
  };
}

/**
 * Whether the message has been posted before, so that sending it now is a repeat (`dup: true`).
 * MQTT sends DUP=0 on a message's first sending, also when it was queued a long time (held by
 * flow control, parked for an away session): only a real repeat is a dup. Entries stored
 * before `sent` existed fall back to their attempts (a sent entry has at least one).
 */
export function wasSent(entry: Pick<PendingEntry, 'sent' | 'attempts'>): boolean {
  return entry.sent ?? entry.attempts > 0;
}

/**
 * The last instant the entry's current step is to be sent: its deadline, or its message's end
 * if sooner while the message itself is the step (PROTOCOL §4 per-message expiry). A released
 * QoS 2 entry's pubrel goes on to the deadline: the client keeps the id until that pubrel, and
 * the message itself is never sent again anyway.
 */
export function sendBy(entry: Pick<PendingEntry, 'state' | 'deadlineAt' | 'messageExpiresAt'>): number {
  return entry.state === 'sent' ? endOf(entry, entry.deadlineAt) : entry.deadlineAt;
}

/**
 * Whether the entry is to be dropped, not sent (PROTOCOL §4: an expired message is not sent or
 * resent to anyone; its pending copy is dropped, not dead-lettered). Only while the message is
 * the step: a released QoS 2 entry finishes its pubrel (see {@link sendBy}).
 */
export function isExpiredEntry(entry: Pick<PendingEntry, 'state' | 'messageExpiresAt'>, now: number): boolean {
  return entry.state === 'sent' && isExpired(entry, now);
}

/** The frame for the entry's last unanswered step, as sent at `now` (a message carries the seconds it has left). */
export function stepFrame(entry: PendingEntry, dup: boolean, now: number): ServerFrame {
  if (entry.state === 'released') return { type: 'pubrel', id: entry.id, controller: entry.controller };
  return {
    type: 'message',
    controller: entry.controller,
    topic: entry.topic,
    data: entry.data,
    qos: entry.qos,
    id: entry.id,
    dup,
    ...(entry.retained ? { retained: true } : {}),
    ...expiryField(entry, now),
  };
}

/** What the resend sweep must do with an entry it found due. */
export type ResendDecision =
  | { kind: 'resend'; next: PendingEntry; frame: ServerFrame }
  | { kind: 'dead-letter'; reason: DeadLetterReason }
  /** PROTOCOL §4 per-message expiry: dropped and counted, not dead-lettered. */
  | { kind: 'expire' }
  | { kind: 'repark'; next: PendingEntry };

/** The sweep's decision for a due entry at `now`. */
export function decideResend(entry: PendingEntry, now: number, policy: QosPolicy): ResendDecision {
  // Found again after its dead-letter lease ran out (a crash part way): finish that first.
  if (entry.deadLettering) return { kind: 'dead-letter', reason: entry.deadLettering.reason };
  // Expired before its TTL ran out (or at the same instant): dropped, not dead-lettered.
  if (isExpiredEntry(entry, now)) return { kind: 'expire' };
  if (now >= entry.deadlineAt) return { kind: 'dead-letter', reason: 'ttl' };
  // A parked entry is due only at its deadline; if it was found earlier (a policy change),
  // it goes back to waiting for its session rather than being sent to no connection.
  if (entry.parked || entry.connectionId === undefined) return { kind: 'repark', next: park(entry) };
  // A held entry waits for room (flow control), not for a timer: msgack sends it.
  if (entry.held) return { kind: 'repark', next: { ...entry, dueAt: sendBy(entry) } };
  if (entry.attempts >= policy.attemptLimit) return { kind: 'dead-letter', reason: 'attempts' };
  const attempts = entry.attempts + 1;
  const next = { ...entry, sent: true, attempts, dueAt: Math.min(now + resendDelay(policy, attempts), sendBy(entry)) };
  return { kind: 'resend', next, frame: stepFrame(next, wasSent(entry), now) };
}

/** The entry once its persistent session has gone away: kept, not sent, until resume or deadline. */
export function park(entry: PendingEntry): PendingEntry {
  const { connectionId: _gone, ...rest } = entry;
  return { ...rest, parked: true, dueAt: sendBy(entry) };
}

/**
 * The entry sent again on `resume` over the session's new connection (PROTOCOL §4
 * "Persistent sessions": every pending message again, `dup: true` if it was sent before).
 * A new connection starts the step's attempts afresh: the limit is about one unresponsive
 * connection.
 */
export function resumeEntry(entry: PendingEntry, connectionId: string, now: number, policy: QosPolicy): PendingEntry {
  const { held: _held, ...rest } = entry;
  return {
    ...rest,
    connectionId,
    parked: false,
    sent: true,
    attempts: 1,
    dueAt: Math.min(now + resendDelay(policy, 1), sendBy(entry)),
  };
}

/**
 * The entry handed to the connection that serves its session now, because the one it was just
 * posted to is gone (a takeover raced the send). It stays in flight, its attempts as they were.
 * The dueAt must differ from the one it had, since that is what claims it (PendingStore.replaceIf).
 */
export function handOver(entry: PendingEntry, connectionId: string, format: PendingEntry['format'], now: number, policy: QosPolicy): PendingEntry {
  const { held: _held, ...rest } = entry;
  const dueAt = Math.min(now + resendDelay(policy, Math.max(1, entry.attempts)), sendBy(entry));
  return { ...rest, connectionId, format, parked: false, sent: true, dueAt: dueAt === entry.dueAt ? dueAt + 1 : dueAt };
}

/** The dueAt a QoS 2 entry gets when `pubrec` releases it and `pubrel` is sent (attempt 1 of the new step). */
export function releasedDueAt(entry: Pick<PendingEntry, 'deadlineAt'>, now: number, policy: QosPolicy): number {
  return Math.min(now + resendDelay(policy, 1), entry.deadlineAt);
}

/**
 * Flow control: the entry is stored but not sent, because its client already has `maxInflight`
 * messages unacknowledged. It is due only at its deadline (to be dead-lettered if it never
 * gets its turn); `releaseHeld` sends it when acks free room.
 */
export function hold(entry: PendingEntry): PendingEntry {
  return { ...entry, held: true, attempts: 0, dueAt: sendBy(entry) };
}

/**
 * A fan-out's first send to a connected recipient (QoS 1, attempt 1, neither held nor parked):
 * what PendingStore.putFirstSends may keep out of every read until it is due, because until
 * then nothing but an ack or the resend sweep has business with it. (Whether flow control
 * counts the recipient's entries is the caller's to add: app/deliver.ts.) QoS 2 is never one:
 * its pubrec reads the entry.
 */
export function mayWaitUnlisted(entry: PendingEntry): boolean {
  return entry.qos === 1 && isFirstSend(entry);
}

/** A fan-out's first send to a connected recipient, of any QoS: sent once, not held, parked or being dead-lettered. */
export function isFirstSend(entry: PendingEntry): boolean {
  return (
    entry.connectionId !== undefined &&
    !entry.parked &&
    entry.held !== true &&
    entry.state === 'sent' &&
    entry.attempts === 1 &&
    entry.deadLettering === undefined
  );
}

/** A new entry held before its first sending: it was never posted, so its first sending is no dup. */
export function holdNew(entry: PendingEntry): PendingEntry {
  const { sent: _notYet, ...rest } = entry;
  return hold(rest);
}

/** A held entry's turn has come: it is sent now (attempt 1) and resent as any other. */
export function releaseHeld(entry: PendingEntry, now: number, policy: QosPolicy): PendingEntry {
  const { held: _held, ...rest } = entry;
  return { ...rest, sent: true, attempts: 1, dueAt: Math.min(now + resendDelay(policy, 1), sendBy(entry)) };
}

/**
 * Flow control's view of one connection's share of its session, read entry by entry in age
 * order: how many messages are in flight on it (sent, not acknowledged, neither held nor parked)
 * and the ones held for it. Entries of an older connection of the session, or parked ones, are
 * the backlog `resume` sends: they neither take room nor make new messages wait, so a client that
 * reconnects and never resumes still gets its new messages (docs/protocol.md "Flow control").
 */
export interface FlowView {
  inflight: number;
  held: PendingEntry[];
  /** The whole session was read (no early stop): `inflight` and `held` are then the full counts. */
  complete: boolean;
}

export function emptyFlowView(): FlowView {
  return { inflight: 0, held: [], complete: false };
}

/**
 * Adds the next entry (in age order) to the view. Returns true once reading further cannot change
 * what the caller decides: the client is at the cap, or `heldWanted` held entries are found (or as
 * many as there is room for). So a client with a long backlog costs a read of about the cap.
 */
export function addToFlowView(
  view: FlowView,
  entry: PendingEntry,
  connectionId: string,
  maxInflight: number,
  heldWanted: number,
): boolean {
  if (entry.parked || entry.connectionId !== connectionId) return false;
  if (entry.held) view.held.push(entry);
  else view.inflight += 1;
  return view.inflight >= maxInflight || view.held.length >= Math.min(heldWanted, maxInflight - view.inflight);
}

/** A new message for this client waits: it is at the cap, or older ones already wait (their order comes first). */
export function mustHold(view: FlowView, maxInflight: number): boolean {
  return view.inflight >= maxInflight || view.held.length > 0;
}

/**
 * Which held entries may be sent now: the oldest first, as many as there is room for under the
 * cap (PROTOCOL §4 order: a client gets its messages in the order they were handed on).
 */
export function entriesToRelease(view: FlowView, maxInflight: number): PendingEntry[] {
  const room = Math.max(0, maxInflight - view.inflight);
  return [...view.held]
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, room);
}

/**
 * Lazy flow control: whether an ack that found the session flagged may take the flag off, once
 * `released` of the view's held entries are being sent. Only on a complete read that leaves
 * nothing held and at most half the cap in flight: the margin keeps a client that hovers near
 * its cap from being flagged and unflagged on every ack (each costs writes), and a session with
 * anything held keeps its flag, so its acks keep reading and releasing (docs/protocol.md "Flow control").
 */
export function mayClearBacklog(view: FlowView, released: number, maxInflight: number): boolean {
  return view.complete && view.held.length <= released && view.inflight + released <= maxInflight / 2;
}

/**
 * Lazy flow control: an ack a client sent more than the ack timeout after the message was handed
 * on shows it is falling behind before the sweep does (the sweep resends only after the timeout
 * and its next pass). `ackedAt` is when the ack reached the gateway, not when it was handled.
 */
export function ackShowsBacklog(handedOnAt: number | undefined, ackedAt: number, policy: Pick<QosPolicy, 'ackTimeoutMs'>): boolean {
  return handedOnAt !== undefined && ackedAt - handedOnAt > policy.ackTimeoutMs;
}

/**
 * PROTOCOL §2 msgack: ends QoS 1, completes QoS 2 after pubrel. An id that is unknown or
 * finished is harmless and silent; a QoS 2 id acked before its pubrec is out of order and
 * changes nothing.
 */
export function decideAcks(
  ids: string[],
  found: PendingEntry[],
): { complete: PendingEntry[]; outOfOrder: string[] } {
  const byId = new Map(found.map((e) => [e.id, e]));
  const complete: PendingEntry[] = [];
  const outOfOrder: string[] = [];
  for (const id of ids) {
    const entry = byId.get(id);
    if (!entry) continue;
    if (entry.qos === 2 && entry.state !== 'released') outOfOrder.push(id);
    else complete.push(entry);
  }
  return { complete, outOfOrder };
}
