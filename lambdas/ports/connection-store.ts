import type { ConnectionRecord, Recipient, SessionRecord } from '../core/types.js';

/**
 * Live connections, the controllers each has open, and the sessions that have a clientId.
 *
 * Reads ignore items whose `expiresAt` has passed (storage deletes them late).
 * `now` is passed in so the store never reads a clock of its own.
 */
export interface ConnectionStore {
  /** Stores the connection and one membership per open controller. */
  put(connection: ConnectionRecord): Promise<void>;
  get(connectionId: string, now: number): Promise<ConnectionRecord | undefined>;
  /** Adds controllers to an existing connection (a frame to a controller opens it). Idempotent. */
  openControllers(connection: ConnectionRecord, controllers: string[]): Promise<void>;
  /** Removes the connection and all its memberships. Idempotent. */
  delete(connection: Pick<ConnectionRecord, 'connectionId' | 'controllers'>): Promise<void>;
  /**
   * Every connection with the controller open, found by Query on the controller's
   * memberships (never Scan), in pages.
   */
  membersOf(controller: string, now: number): AsyncIterable<Recipient[]>;

  putSession(session: SessionRecord): Promise<void>;
  getSession(sessionId: string, now: number): Promise<SessionRecord | undefined>;
  /**
   * Marks a persistent session as away, but only if `connectionId` still serves it
   * (a newer connection may have taken the session over). Returns whether it did.
   */
  detachSession(sessionId: string, connectionId: string, expiresAt: number): Promise<boolean>;
  /** Deletes the session record only if `connectionId` still serves it. Returns whether it did. */
  deleteSession(sessionId: string, connectionId: string): Promise<boolean>;
}
