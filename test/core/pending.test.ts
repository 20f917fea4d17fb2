import { describe, expect, it } from 'vitest';
import {
  ackShowsBacklog,
  addToFlowView,
  decideAcks,
  decideResend,
  emptyFlowView,
  entriesToRelease,
  handOver,
  hold,
  holdNew,
  mayClearBacklog,
  mustHold,
  newPendingEntry,
  park,
  releaseHeld,
  resumeEntry,
  stepFrame,
  wasSent,
  type FlowView,
} from '../../lambdas/core/pending.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { PendingEntry, Recipient } from '../../lambdas/core/types.js';

const policy = DEFAULT_POLICY;
const t0 = 1_700_000_000_000;
const connected: Recipient = { sessionId: 's1', connectionId: 'c1', sessionKind: 'clean', claimedQos: 2, format: 'json' };
const message = { controller: 'monitor', topic: 'temp', data: 25.3 };

describe('a new pending entry', () => {
  it('for a connected recipient counts as sent once and is due after the ack timeout', () => {
    const entry = newPendingEntry(connected, message, 'm1', 1, t0, policy);
    expect(entry).toMatchObject({ sessionId: 's1', id: 'm1', connectionId: 'c1', state: 'sent', parked: false, attempts: 1, dueAt: t0 + 10_000 });
    expect(entry.deadlineAt).toBe(t0 + policy.messageTtlMs);
    expect(entry.expiresAt).toBeGreaterThan(entry.deadlineAt);
  });

  it('for a persistent session that is away is parked until its deadline', () => {
    const away: Recipient = { ...connected, sessionKind: 'persistent', connectionId: undefined };
    const entry = newPendingEntry(away, message, 'm1', 2, t0, policy);
    expect(entry).toMatchObject({ parked: true, attempts: 0, dueAt: t0 + policy.messageTtlMs });
    expect(entry.connectionId).toBeUndefined();
  });
});

describe('the last unanswered step', () => {
  it('is the message itself while sent, with an id and the dup flag', () => {
    const entry = newPendingEntry(connected, message, 'm1', 1, t0, policy);
    expect(stepFrame(entry, false, t0)).toEqual({ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: 'm1', dup: false });
    expect(stepFrame(entry, true, t0)).toMatchObject({ dup: true });
  });

  it('is pubrel once a QoS 2 message is released: the message is never sent again', () => {
    const entry: PendingEntry = { ...newPendingEntry(connected, message, 'm1', 2, t0, policy), state: 'released' };
    expect(stepFrame(entry, true, t0)).toEqual({ type: 'pubrel', id: 'm1', controller: 'monitor' });
  });
});

describe('the resend decision', () => {
  const entry = newPendingEntry(connected, message, 'm1', 1, t0, policy);

  it('resends with dup and doubles the wait each time', () => {
    const first = decideResend(entry, entry.dueAt, policy);
    expect(first.kind).toBe('resend');
    if (first.kind !== 'resend') return;
    expect(first.frame).toMatchObject({ type: 'message', id: 'm1', dup: true });
    expect(first.next.attempts).toBe(2);
    expect(first.next.dueAt).toBe(entry.dueAt + 20_000);
    const second = decideResend(first.next, first.next.dueAt, policy);
    expect(second.kind === 'resend' && second.next.dueAt - first.next.dueAt).toBe(40_000);
  });

  it('dead-letters at the attempt limit', () => {
    expect(decideResend({ ...entry, attempts: policy.attemptLimit }, entry.dueAt, policy)).toEqual({ kind: 'dead-letter', reason: 'attempts' });
    expect(decideResend({ ...entry, attempts: policy.attemptLimit - 1 }, entry.dueAt, policy).kind).toBe('resend');
  });

  it('dead-letters once the message TTL is reached', () => {
    expect(decideResend(entry, entry.deadlineAt, policy)).toEqual({ kind: 'dead-letter', reason: 'ttl' });
  });

  it('never schedules a resend past the deadline', () => {
    const late = decideResend(entry, entry.deadlineAt - 1000, policy);
    expect(late.kind === 'resend' && late.next.dueAt).toBe(entry.deadlineAt);
  });

  it('does not send a parked entry found early, it parks it again', () => {
    const parked = park(entry);
    expect(decideResend({ ...parked, dueAt: t0 }, t0 + 1, policy)).toEqual({ kind: 'repark', next: parked });
  });
});

describe('park and resume', () => {
  it('parking drops the connection and waits for the deadline', () => {
    const parked = park(newPendingEntry(connected, message, 'm1', 1, t0, policy));
    expect(parked.connectionId).toBeUndefined();
    expect(parked).toMatchObject({ parked: true, dueAt: parked.deadlineAt });
  });

  it('resume points at the new connection and starts the attempts afresh', () => {
    const parked = park({ ...newPendingEntry(connected, message, 'm1', 1, t0, policy), attempts: 7 });
    const resumed = resumeEntry(parked, 'c2', t0 + 5000, policy);
    expect(resumed).toMatchObject({ connectionId: 'c2', parked: false, attempts: 1, dueAt: t0 + 15_000 });
  });
});

describe('msgack decisions (PROTOCOL §2)', () => {
  const q1 = newPendingEntry(connected, message, 'a', 1, t0, policy);
  const q2sent = newPendingEntry(connected, message, 'b', 2, t0, policy);
  const q2released: PendingEntry = { ...newPendingEntry(connected, message, 'c', 2, t0, policy), state: 'released' };

  it('completes QoS 1 and released QoS 2, refuses QoS 2 before pubrec, ignores unknown ids', () => {
    const decision = decideAcks(['a', 'b', 'c', 'zzz'], [q1, q2sent, q2released]);
    expect(decision.complete.map((e) => e.id)).toEqual(['a', 'c']);
    expect(decision.outOfOrder).toEqual(['b']);
  });
});

describe('flow control’s view of a session (read oldest first, stopped once the answer is known)', () => {
  const sent = (id: string, at = t0) => newPendingEntry(connected, message, id, 1, at, policy);
  const held = (id: string, at = t0) => hold(sent(id, at));

  /** Feeds entries until addToFlowView says stop; returns the view and how many were read. */
  function walk(entries: PendingEntry[], max: number, heldWanted: number): { view: FlowView; read: number } {
    const view = emptyFlowView();
    let read = 0;
    for (const entry of entries) {
      read += 1;
      if (addToFlowView(view, entry, connected.connectionId as string, max, heldWanted)) break;
    }
    return { view, read };
  }

  it('a delivery stops at the cap or at the first held entry, whatever the backlog behind it', () => {
    const backlog = [sent('a'), sent('b'), held('c'), ...Array.from({ length: 500 }, (_, i) => held(`d${i}`))];
    const { view, read } = walk(backlog, 100, 1);
    expect(read).toBe(3);
    expect(mustHold(view, 100)).toBe(true);

    const full = walk([sent('a'), sent('b'), sent('c'), sent('d')], 3, 1);
    expect(full.read).toBe(3);
    expect(mustHold(full.view, 3)).toBe(true);
  });

  it('parked entries (a persistent session away) are not in flight; below the cap with none held, send', () => {
    const { view } = walk([park(sent('a')), park(sent('b')), sent('c')], 2, 1);
    expect(view.inflight).toBe(1);
    expect(mustHold(view, 2)).toBe(false);
  });

  it('an ack reads only as many held entries as there is room for, and releases the oldest first', () => {
    const entries = [sent('a'), held('b', t0 + 2), held('c', t0 + 1), held('d', t0 + 3), held('e', t0 + 4)];
    const { view, read } = walk(entries, 3, 3);
    expect(read).toBe(3);
    expect(entriesToRelease(view, 3).map((e) => e.id)).toEqual(['c', 'b']);
    // At the cap, nothing goes.
    expect(entriesToRelease({ inflight: 3, held: [held('x')], complete: true }, 3)).toEqual([]);
  });
});

describe('dup only on a real repeat (MQTT DUP=0 on a first sending)', () => {
  const away: Recipient = { ...connected, sessionKind: 'persistent', connectionId: undefined };

  it('a connected entry was sent; a parked or newly held one was not, until its first sending', () => {
    const sent = newPendingEntry(connected, message, 'm1', 1, t0, policy);
    expect(wasSent(sent)).toBe(true);
    expect(wasSent(newPendingEntry(away, message, 'm2', 1, t0, policy))).toBe(false);
    const held = holdNew(sent);
    expect(wasSent(held)).toBe(false);
    expect(wasSent(releaseHeld(held, t0 + 1, policy))).toBe(true);
    // resume holds what does not fit: a message sent before stays a repeat.
    expect(wasSent(hold(sent))).toBe(true);
  });

  it('the sweep and resume send a never-sent entry as a first sending, then as repeats', () => {
    const parked = newPendingEntry(away, message, 'm1', 1, t0, policy);
    const resumed = resumeEntry(parked, 'c2', t0 + 5, policy);
    expect(wasSent(parked)).toBe(false);
    expect(wasSent(resumed)).toBe(true);
    const decision = decideResend(resumed, resumed.dueAt, policy);
    expect(decision).toMatchObject({ kind: 'resend', frame: { dup: true } });
    // An entry stored before `sent` existed falls back to its attempts.
    const { sent: _sent, ...legacy } = newPendingEntry(connected, message, 'm3', 1, t0, policy);
    expect(wasSent(legacy)).toBe(true);
  });
});

describe('a dead-letter lease and a hand-over', () => {
  it('an entry found under an expired dead-letter lease is dead-lettered with the reason it was given', () => {
    const entry = { ...newPendingEntry(connected, message, 'm1', 1, t0, policy), deadLettering: { reason: 'attempts' as const, deadAt: t0 } };
    expect(decideResend(entry, t0 + 1, policy)).toEqual({ kind: 'dead-letter', reason: 'attempts' });
  });

  it('hand-over points at the newer connection, keeps the attempts, and always changes dueAt (the claim)', () => {
    const entry = { ...newPendingEntry(connected, message, 'm1', 1, t0, policy), attempts: 3, dueAt: t0 + policy.ackTimeoutMs * 4 };
    const next = handOver(entry, 'c2', 'text', t0, policy);
    expect(next).toMatchObject({ connectionId: 'c2', format: 'text', parked: false, attempts: 3 });
    expect(next.dueAt).not.toBe(entry.dueAt);
  });
});

describe('flow control counts one connection only', () => {
  it('entries of an older connection of the session, held or in flight, neither take room nor hold new ones back', () => {
    const old = { ...connected, connectionId: 'old' };
    const view = emptyFlowView();
    for (const entry of [newPendingEntry(old, message, 'a', 1, t0, policy), holdNew(newPendingEntry(old, message, 'b', 1, t0, policy))]) {
      expect(addToFlowView(view, entry, 'c1', 1, 1)).toBe(false);
    }
    expect(view).toEqual({ inflight: 0, held: [], complete: false });
    expect(mustHold(view, 1)).toBe(false);
  });
});

describe('lazy flow control: when a session is flagged and unflagged (issue 13)', () => {
  const sent = (id: string) => newPendingEntry(connected, message, id, 1, t0, policy);
  const view = (inflight: number, held: number, complete = true): FlowView => ({ inflight, held: Array.from({ length: held }, (_, i) => hold(sent(`h${i}`))), complete });

  it('clears only on a complete read, with everything held being released and at most half the cap in flight after', () => {
    expect(mayClearBacklog(view(0, 0), 0, 10)).toBe(true);
    expect(mayClearBacklog(view(5, 0), 0, 10)).toBe(true);
    expect(mayClearBacklog(view(6, 0), 0, 10)).toBe(false);
    expect(mayClearBacklog(view(2, 3), 3, 10)).toBe(true);
    expect(mayClearBacklog(view(3, 3), 3, 10)).toBe(false);
    // Something stays held: the flag stays, so the next acks keep releasing.
    expect(mayClearBacklog(view(0, 3), 2, 10)).toBe(false);
    // A read that stopped early (at the cap, or at as many held as there is room for) knows too little.
    expect(mayClearBacklog(view(0, 0, false), 0, 10)).toBe(false);
    const walked = emptyFlowView();
    for (const entry of [sent('a'), sent('b')]) addToFlowView(walked, entry, 'c1', 2, 2);
    expect(mayClearBacklog(walked, 0, 2)).toBe(false);
  });

  it('an ack of a message handed on more than the ack timeout ago shows backlog; an unknown time shows nothing', () => {
    expect(ackShowsBacklog(t0, t0 + policy.ackTimeoutMs, policy)).toBe(false);
    expect(ackShowsBacklog(t0, t0 + policy.ackTimeoutMs + 1, policy)).toBe(true);
    expect(ackShowsBacklog(undefined, t0 + 1_000_000, policy)).toBe(false);
  });
});
