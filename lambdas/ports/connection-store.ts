import type { BacklogFlag, ConnectionRecord, Recipient, SessionRecord, Will } from '../core/types.js';
import type { AudiencePage, AudiencePageRequest } from './audience-page.js';

/**
 * A persistent session's membership of one controller (PROTOCOL §4): it outlives the
 * connection as the session's subscriptions do, pointing at the connection that serves the
 * session, or at none while the session is away (fan-out then parks QoS 1/2 and drops QoS 0).
 */
export interface SessionMembership extends Recipient {
  controller: string;
  expiresAt: number;
}

/** Who a persistent session's memberships point at when a connection serves it, and until when they live. */
export type SessionMember = Omit<Recipient, 'connectionId' | 'subscriptionQos'> & { connectionId: string; expiresAt: number };

/**
 * Live connections, the controllers each has open, and the sessions that have a clientId.
 *
 * Two kinds of controller membership, both found by the one Query of `membersOf`:
 * - a clean session's are its connection's and go with it (`put`, `openControllers`, `delete`);
 * - a persistent session's are the session's (`openSessionControllers` and the other
 *   `...SessionControllers` methods): they outlive the connection for the session TTL.
 *
 * Reads ignore items whose `expiresAt` has passed (storage deletes them late).
 * `now` is passed in so the store never reads a clock of its own.
 */
export interface ConnectionStore {
  /** Stores the connection and, for a clean session, one membership per open controller. */
  put(connection: ConnectionRecord): Promise<void>;
  /**
   * Stores the connection as {@link put} does, but only while its session's record names it as
   * the connection serving it, in one atomic step (a clientId's `$connect` makes this its last
   * write). Returns false, having written nothing, if a newer `$connect` of the clientId took the
   * session first: that one found no record to close, so this connection must not open.
   */
  putIfServing(connection: ConnectionRecord, now: number): Promise<boolean>;
  get(connectionId: string, now: number): Promise<ConnectionRecord | undefined>;
  /**
   * Adds controllers to an existing connection's list (a frame to a controller opens it) and,
   * for a clean session, makes the connection a member. Idempotent. A persistent session's
   * memberships are opened with {@link openSessionControllers}.
   */
  openControllers(connection: ConnectionRecord, controllers: string[]): Promise<void>;
  /**
   * Sets the connection's last will, or removes it (`undefined`), on its record (PROTOCOL §9).
   * Only on a live record not being ended: returns false if there is none (gone, taken by
   * {@link claimEnd}, or said goodbye with {@link markDisconnecting}), so a will is never set
   * where nobody will take it, nor after a `disconnect`.
   */
  setWill(connectionId: string, will: Will | undefined, now: number): Promise<boolean>;
  /**
   * A `disconnect` frame (PROTOCOL §2): drops the will and marks the record `disconnecting`, so
   * whoever ends the connection finds a clean goodbye and no will. Unconditional on the will;
   * a record already gone stays gone.
   */
  markDisconnecting(connectionId: string): Promise<void>;
  /**
   * Takes the end of the connection, exactly once across everyone who may end it ($disconnect,
   * a takeover, a Gone send, the sweep): one conditional write marks the record ended at `now`
   * and removes its will, and returns the record as it was (with its will, if it had one).
   * Returns undefined if there is no live record, or another taker took it after `staleBefore`
   * (a take older than that is of an ender that died: it may be taken again, see app/last-will.ts).
   */
  claimEnd(connectionId: string, now: number, staleBefore: number): Promise<ConnectionRecord | undefined>;
  /** Removes the connection and its own memberships; a persistent session's stay. Idempotent. */
  delete(connection: Pick<ConnectionRecord, 'connectionId' | 'controllers'>): Promise<void>;
  /**
   * Every connection with the controller open and every persistent session that has it open
   * (connected or away), found by Query on the controller's memberships (never Scan), in pages.
   */
  membersOf(controller: string, now: number): AsyncIterable<Recipient[]>;
  /**
   * One page of the controller's members (the same Query as membersOf), in key order, read
   * strongly consistent: a fan-out reads its first page inline and queues the rest by key.
   */
  memberPage(controller: string, now: number, page: AudiencePageRequest): Promise<AudiencePage>;

  /**
   * Opens controllers for a persistent session, pointing at `member.connectionId`, but only
   * while that connection serves the session (a newer one may have taken it over: then
   * nothing is written). Idempotent. Returns whether it wrote.
   */
  openSessionControllers(member: SessionMember, controllers: string[]): Promise<boolean>;
  /**
   * Points every live membership of the session at the connection that now serves it (a
   * takeover), with its claim and format and the new expiry, only while it serves the
   * session. Returns the controllers re-pointed.
   */
  attachSessionControllers(member: SessionMember, now: number): Promise<string[]>;
  /**
   * The session went away: its memberships that still point at `connectionId` point at none
   * and live until `expiresAt`. Those a newer connection re-pointed are left alone.
   */
  detachSessionControllers(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void>;
  /** Deletes every membership of the session (it starts clean). */
  deleteSessionControllers(sessionId: string, now: number): Promise<void>;
  /** The session's live memberships, by a strongly consistent read keyed by the session. */
  sessionControllers(sessionId: string, now: number): Promise<SessionMembership[]>;

  putSession(session: SessionRecord): Promise<void>;
  /**
   * A takeover's write of the session record, only if the stored one is still as `seen` by
   * the caller's getSession: none live (`undefined`), away, or served by the same connection.
   * Two `$connect`s of one clientId that read the same previous session so never both take it
   * (each would close only the connection it read, and the other would stay open with the
   * session split between them). Returns whether it wrote.
   */
  putSessionIf(session: SessionRecord, seen: Pick<SessionRecord, 'connectionId'> | undefined, now: number): Promise<boolean>;
  getSession(sessionId: string, now: number): Promise<SessionRecord | undefined>;
  /**
   * Marks a persistent session as away, but only if `connectionId` still serves it
   * (a newer connection may have taken the session over). Returns whether it did.
   */
  detachSession(sessionId: string, connectionId: string, expiresAt: number): Promise<boolean>;
  /** Deletes the session record only if `connectionId` still serves it. Returns whether it did. */
  deleteSession(sessionId: string, connectionId: string): Promise<boolean>;

  /**
   * Lazy flow control's flag of the session (docs/protocol.md "Flow control"), by one strongly
   * consistent read: what the ack path reads once per ack frame. Every session has one, whether
   * it has a session record or not (a session without clientId has none); never flagged, or
   * expired, reads as not backlogged.
   */
  getBacklog(sessionId: string, now: number): Promise<BacklogFlag>;
  /** Flags the session and moves its epoch on (so an older clear cannot undo this). Lives until `expiresAt`. */
  flagBacklog(sessionId: string, expiresAt: number): Promise<void>;
  /**
   * Takes the flag off, but only if its epoch is still `seenEpoch`: nobody flagged the session
   * since the caller read it. Returns whether it did.
   */
  clearBacklog(sessionId: string, seenEpoch: number): Promise<boolean>;
  /**
   * Sets (or removes) `backlogged` on the live memberships through which fan-out reaches the
   * session at `connectionId`: the connection's own (a clean session) and the session's (a
   * persistent one), so `membersOf` returns them flagged. A membership written afresh later
   * (a takeover, a controller opened) starts unflagged. Idempotent.
   */
  markMemberships(sessionId: string, connectionId: string, backlogged: boolean, now: number): Promise<void>;
}
