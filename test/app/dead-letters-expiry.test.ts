import { describe, expect, it } from 'vitest';
import { replayedEntry, replayFrame } from '../../lambdas/app/dead-letters.js';
import { decideResend, newPendingEntry } from '../../lambdas/core/pending.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { DeadLetter, Recipient } from '../../lambdas/core/types.js';

/** A dead letter of a message with an expiry (PROTOCOL §4), replayed by the operator. */
const t0 = 4_000_000_000_000;
const END = t0 + 60_000;
const recipient: Recipient = { sessionId: 's1', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 1, format: 'json' };
const entry = { ...newPendingEntry(recipient, { controller: 'monitor', topic: 'temp', data: 1, messageExpiresAt: END }, 'm1', 1, t0, DEFAULT_POLICY), attempts: 20 };
const letter: DeadLetter = { entry, reason: 'attempts', deadAt: t0 + 1000, expiresAt: t0 + DEFAULT_POLICY.deadLetterTtlMs };

describe('a replayed dead letter of a message with an expiry', () => {
  it('before its end keeps it, and is sent with the seconds it has left', () => {
    const replayed = replayedEntry(letter, 'c2', t0 + 30_000, DEFAULT_POLICY);
    expect(replayed).toMatchObject({ messageExpiresAt: END, dueAt: t0 + 30_000, expiresAt: END + DEFAULT_POLICY.expiryGraceMs });
    expect(replayFrame(replayed)).toMatchObject({ type: 'message', expiry: 30, dup: true });
  });

  it('after its end is dropped by the sweep, not sent and not dead-lettered again', () => {
    const replayed = replayedEntry(letter, 'c2', END + 1, DEFAULT_POLICY);
    expect(decideResend(replayed, END + 1, DEFAULT_POLICY)).toEqual({ kind: 'expire' });
  });
});
