import { describe, expect, it } from 'vitest';
import { replayedEntry, replayFrame } from '../../lambdas/app/dead-letters.js';
import { holdNew, newPendingEntry } from '../../lambdas/core/pending.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { DeadLetter, Recipient } from '../../lambdas/core/types.js';

const t0 = 4_000_000_000_000;
const recipient: Recipient = { sessionId: 's1', connectionId: 'c1', sessionKind: 'persistent', claimedQos: 1, format: 'json' };
const message = { controller: 'monitor', topic: 'temp', data: 1 };

function letter(entry: DeadLetter['entry']): DeadLetter {
  return { entry, reason: 'ttl', deadAt: t0, expiresAt: t0 + DEFAULT_POLICY.deadLetterTtlMs };
}

describe('a replayed dead letter', () => {
  it('of a message held by flow control and never sent is sent by the sweep, as a first sending', () => {
    const held = holdNew(newPendingEntry(recipient, message, 'm1', 1, t0 - DEFAULT_POLICY.messageTtlMs, DEFAULT_POLICY));
    const entry = replayedEntry(letter(held), 'c2', t0, DEFAULT_POLICY);
    expect(entry.held).toBeUndefined();
    expect(entry).toMatchObject({ connectionId: 'c2', parked: false, attempts: 0, dueAt: t0 });
    expect(replayFrame(entry)).toMatchObject({ type: 'message', dup: false });
  });

  it('of a message sent before is a repeat (dup), also where it was stored before `sent` existed', () => {
    const { sent: _sent, ...legacy } = { ...newPendingEntry(recipient, message, 'm1', 1, t0, DEFAULT_POLICY), attempts: 20 };
    expect(replayFrame(replayedEntry(letter(legacy), undefined, t0, DEFAULT_POLICY))).toMatchObject({ dup: true });
  });
});
