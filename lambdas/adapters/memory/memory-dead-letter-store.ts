import type { DeadLetter } from '../../core/types.js';
import type { DeadLetterStore } from '../../ports/dead-letter-store.js';
import { compareStrings, copy, isLive } from './records.js';

/**
 * Dead letters per session, keyed and ordered as in DynamoDB: `<deadAt, 15 digits>#<id>`, so a
 * second letter with the same time and id replaces the first.
 */
export class MemoryDeadLetterStore implements DeadLetterStore {
  /** sessionId -> deadKey -> letter */
  private readonly sessions = new Map<string, Map<string, DeadLetter>>();

  async put(letter: DeadLetter): Promise<void> {
    const sessionId = letter.entry.sessionId;
    let letters = this.sessions.get(sessionId);
    if (letters === undefined) this.sessions.set(sessionId, (letters = new Map()));
    letters.set(`${String(letter.deadAt).padStart(15, '0')}#${letter.entry.id}`, copyLetter(letter));
  }

  async delete(letter: { sessionId: string; id: string; deadAt: number }): Promise<void> {
    this.sessions.get(letter.sessionId)?.delete(`${String(letter.deadAt).padStart(15, '0')}#${letter.id}`);
  }

  async ofSession(sessionId: string, now: number): Promise<DeadLetter[]> {
    return [...(this.sessions.get(sessionId)?.entries() ?? [])]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, letter]) => letter)
      .filter((letter) => isLive(letter, now))
      .map(copyLetter);
  }
}

function copyLetter(letter: DeadLetter): DeadLetter {
  return { ...copy(letter), entry: copy(letter.entry) };
}
