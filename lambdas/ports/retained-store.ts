import type { RetainedMessage } from '../core/types.js';

/** The last value kept per controller/topic (`retain: true`). Reads ignore expired items. */
export interface RetainedStore {
  put(message: RetainedMessage): Promise<void>;
  clear(controller: string, topic: string): Promise<void>;
  get(controller: string, topic: string, now: number): Promise<RetainedMessage | undefined>;
  /**
   * The retained values of every topic of the controller the filter matches (PROTOCOL §8: what
   * a new filter subscription is sent), in topic order. DynamoDB: a Query on the table's
   * byController index from the filter's anchor, never a Scan.
   */
  matching(controller: string, filter: string, now: number): Promise<RetainedMessage[]>;
}
