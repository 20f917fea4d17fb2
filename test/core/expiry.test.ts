import { describe, expect, it } from 'vitest';
import { endOf, expiryField, expiryRule, isExpired, isValidExpiry, messageExpiresAtOf, remainingSeconds } from '../../lambdas/core/expiry.js';

/** PROTOCOL §4 per-message expiry: the pure pieces. */
const t0 = 1_700_000_000_000;

describe('a message’s end', () => {
  it('is the publish’s now plus expiry seconds; no expiry, no end', () => {
    expect(messageExpiresAtOf(30, t0)).toBe(t0 + 30_000);
    expect(messageExpiresAtOf(undefined, t0)).toBeUndefined();
  });

  it('has passed at its end instant and after, not before; a message without one never expires', () => {
    const end = { messageExpiresAt: t0 + 1000 };
    expect(isExpired(end, t0 + 999)).toBe(false);
    expect(isExpired(end, t0 + 1000)).toBe(true);
    expect(isExpired(end, t0 + 5000)).toBe(true);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('caps a limit only when sooner', () => {
    expect(endOf({ messageExpiresAt: t0 + 5 }, t0 + 10)).toBe(t0 + 5);
    expect(endOf({ messageExpiresAt: t0 + 50 }, t0 + 10)).toBe(t0 + 10);
    expect(endOf({}, t0 + 10)).toBe(t0 + 10);
  });
});

describe('the seconds a message has left', () => {
  it('are rounded up, and at least 1 while it has not expired', () => {
    expect(remainingSeconds(t0 + 17_000, t0)).toBe(17);
    expect(remainingSeconds(t0 + 16_001, t0)).toBe(17);
    expect(remainingSeconds(t0 + 1, t0)).toBe(1);
  });

  it('go in a frame as `expiry` only where the message has an end', () => {
    expect(expiryField({ messageExpiresAt: t0 + 17_000 }, t0)).toEqual({ expiry: 17 });
    expect(expiryField({}, t0)).toEqual({});
  });
});

describe('a valid expiry', () => {
  it('is a whole number of seconds from 1 to the message TTL', () => {
    for (const ok of [1, 2, 86_400]) expect(isValidExpiry(ok, 86_400)).toBe(true);
    for (const bad of [0, -1, 1.5, 86_401, Number.NaN, Number.POSITIVE_INFINITY, '10', null, true]) expect(isValidExpiry(bad, 86_400)).toBe(false);
  });

  it('is named in the rule a refusal gives', () => {
    expect(expiryRule(86_400)).toBe('expiry must be a whole number of seconds from 1 to 86400 (the message TTL)');
  });
});
