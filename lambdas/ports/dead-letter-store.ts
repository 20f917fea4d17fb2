import type { DeadLetter } from '../core/types.js';

/** Messages that ran out of attempts or time, kept for inspection and replay. */
export interface DeadLetterStore {
  put(letter: DeadLetter): Promise<void>;
  /** Dead letters of one session (Query), newest last. */
  ofSession(sessionId: string, now: number): Promise<DeadLetter[]>;
  /** Removes one letter (after a replay). Unknown letters are fine. */
  delete(letter: { sessionId: string; id: string; deadAt: number }): Promise<void>;
}
