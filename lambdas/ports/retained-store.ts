import type { RetainedMessage } from '../core/types.js';

/** The last value kept per controller/topic (`retain: true`). Reads ignore expired items. */
export interface RetainedStore {
  put(message: RetainedMessage): Promise<void>;
  clear(controller: string, topic: string): Promise<void>;
  get(controller: string, topic: string, now: number): Promise<RetainedMessage | undefined>;
}
