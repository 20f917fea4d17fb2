import { describe, expect, it } from 'vitest';
import { decideResend, handOver, hold, isExpiredEntry, newPendingEntry, park, releaseHeld, resumeEntry, sendBy, stepFrame } from '../../lambdas/core/pending.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { PendingEntry, Recipient } from '../../lambdas/core/types.js';

/** PROTOCOL §4 per-message expiry in the server-to-client state machine. */
const policy = DEFAULT_POLICY;
const t0 = 1_700_000_000_000;
const END = t0 + 30_000;
const connected: Recipient = { sessionId: 's1', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 2, format: 'json' };
const away: Recipient = { sessionId: 's1', sessionKind: 'persistent', claimedQos: 2, format: 'json' };
const message = { controller: 'monitor', topic: 'temp', data: 25.3, messageExpiresAt: END };

describe('an entry of a message with an expiry', () => {
  it('carries the message’s end; parked, it is due then; storage keeps it for the grace after it, not after the TTL', () => {
    const entry = newPendingEntry(away, message, 'm1', 1, t0, policy);
    expect(entry).toMatchObject({ messageExpiresAt: END, parked: true, dueAt: END, deadlineAt: t0 + policy.messageTtlMs, expiresAt: END + policy.expiryGraceMs });
  });

  it('sent, it is due at its first resend, or at its end if sooner', () => {
    expect(newPendingEntry(connected, message, 'm1', 1, t0, policy).dueAt).toBe(t0 + policy.ackTimeoutMs);
    expect(newPendingEntry(connected, { ...message, messageExpiresAt: t0 + 3000 }, 'm1', 1, t0, policy).dueAt).toBe(t0 + 3000);
  });

  it('an entry without an expiry is as before: due and stored to the TTL', () => {
    const entry = newPendingEntry(away, { controller: 'monitor', topic: 'temp', data: 1 }, 'm1', 1, t0, policy);
    expect(entry).not.toHaveProperty('messageExpiresAt');
    expect(entry).toMatchObject({ dueAt: entry.deadlineAt, expiresAt: entry.deadlineAt + policy.expiryGraceMs });
  });

  it('held, parked again, resumed, released from hold or handed over, is never due after its end', () => {
    const entry = newPendingEntry(connected, { ...message, messageExpiresAt: t0 + 4000 }, 'm1', 1, t0, policy);
    expect(hold(entry).dueAt).toBe(t0 + 4000);
    expect(park(entry).dueAt).toBe(t0 + 4000);
    expect(resumeEntry(entry, 'c2', t0 + 1, policy).dueAt).toBe(t0 + 4000);
    expect(releaseHeld(hold(entry), t0 + 1, policy).dueAt).toBe(t0 + 4000);
    expect(handOver({ ...entry, dueAt: t0 + 100 }, 'c2', 'json', t0 + 1, policy).dueAt).toBe(t0 + 4000);
  });

  it('its message frame carries the seconds left at the time of sending (rounded up)', () => {
    const entry = newPendingEntry(connected, message, 'm1', 1, t0, policy);
    expect(stepFrame(entry, false, t0)).toMatchObject({ type: 'message', expiry: 30 });
    expect(stepFrame(entry, true, t0 + 12_500)).toMatchObject({ expiry: 18, dup: true });
    expect(stepFrame(newPendingEntry(connected, { ...message, messageExpiresAt: undefined }, 'm2', 1, t0, policy), false, t0)).not.toHaveProperty('expiry');
  });
});

describe('the sweep’s decision for an expired entry', () => {
  const sent = newPendingEntry(connected, message, 'm1', 1, t0, policy);

  it('is to drop it (not resend, not dead-letter), in flight, parked or held', () => {
    expect(decideResend(sent, END, policy)).toEqual({ kind: 'expire' });
    expect(decideResend(park(sent), END + 1, policy)).toEqual({ kind: 'expire' });
    expect(decideResend(hold(sent), END, policy)).toEqual({ kind: 'expire' });
  });

  it('is to drop it even when its TTL ran out at the same time; before its end it is resent as ever', () => {
    const ttlEnd: PendingEntry = { ...sent, messageExpiresAt: sent.deadlineAt, dueAt: sent.deadlineAt };
    expect(decideResend(ttlEnd, sent.deadlineAt, policy)).toEqual({ kind: 'expire' });
    expect(decideResend(sent, END - 1, policy)).toMatchObject({ kind: 'resend', frame: { expiry: 1, dup: true } });
  });

  it('past pubrec a QoS 2 entry is not dropped: its message is never sent again anyway, and its pubrel finishes', () => {
    const released: PendingEntry = { ...newPendingEntry(connected, message, 'm1', 2, t0, policy), state: 'released' };
    expect(isExpiredEntry(released, END + 1)).toBe(false);
    expect(sendBy(released)).toBe(released.deadlineAt);
    expect(decideResend({ ...released, dueAt: END + 1 }, END + 1, policy)).toMatchObject({ kind: 'resend', frame: { type: 'pubrel', id: 'm1' } });
  });
});
