/**
 * Per-message expiry (PROTOCOL §4 "Per-message expiry", as MQTT 5's message expiry interval):
 * a publish may carry `expiry` seconds; from then on the message has an absolute end,
 * `messageExpiresAt` (ms), that travels with it (Delivery, PendingEntry, InboundRecord,
 * RetainedMessage). Past it the message is sent or resent to nobody and its pending copies are
 * dropped (counted as `Expired`, not dead-lettered). Pure: `now` is always given.
 */

/** Anything that may carry a message's end (absent: the message does not expire). */
export interface MayExpire {
  messageExpiresAt?: number;
}

/** The absolute end of a message published at `now` with `expiry` seconds (undefined: none). */
export function messageExpiresAtOf(expiry: number | undefined, now: number): number | undefined {
  return expiry === undefined ? undefined : now + expiry * 1000;
}

/** Whether the message's expiry has passed at `now` (its end instant itself counts as passed). */
export function isExpired(x: MayExpire, now: number): boolean {
  return x.messageExpiresAt !== undefined && now >= x.messageExpiresAt;
}

/**
 * The whole seconds a message handed on at `now` has left (PROTOCOL §4: `"expiry": 17`): rounded
 * up, so it is at least 1 while the message is not expired, as MQTT 5 forwards the interval.
 */
export function remainingSeconds(messageExpiresAt: number, now: number): number {
  return Math.max(1, Math.ceil((messageExpiresAt - now) / 1000));
}

/** The `expiry` field of a message frame sent at `now`: only where the message has an end. */
export function expiryField(x: MayExpire, now: number): { expiry?: number } {
  return x.messageExpiresAt === undefined ? {} : { expiry: remainingSeconds(x.messageExpiresAt, now) };
}

/** The latest instant a stored copy is of any use: `limit` (a TTL end), or the message's end if sooner. */
export function endOf(x: MayExpire, limit: number): number {
  return x.messageExpiresAt === undefined ? limit : Math.min(limit, x.messageExpiresAt);
}

/** The rule a publish's `expiry` must follow, as BAD_REQUEST names it. */
export function expiryRule(maxSeconds: number): string {
  return `expiry must be a whole number of seconds from 1 to ${maxSeconds} (the message TTL)`;
}

/** Whether `value` is a valid `expiry` (PROTOCOL §4: 1 to the message TTL, whole seconds). */
export function isValidExpiry(value: unknown, maxSeconds: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maxSeconds;
}
