import { randomBytes } from 'node:crypto';

/**
 * Server message ids: time in base 36 (so ids sort roughly by age in logs) and 48 random
 * bits, 14-ish characters, unique across every session without coordination.
 */
export function newMessageId(now: number = Date.now()): string {
  return `${now.toString(36)}${randomBytes(6).toString('hex').slice(0, 8)}`;
}
