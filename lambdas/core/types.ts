/**
 * The vocabulary of the qosgate protocol (shared/PROTOCOL.md), shared by the pure core,
 * the ports, the adapters and the handlers. Pure types: nothing here touches AWS.
 *
 * Times are milliseconds since the epoch throughout the domain; only the DynamoDB
 * adapters convert the TTL attribute to the epoch seconds DynamoDB expects.
 */

/** QoS 0 fire and forget, 1 at least once, 2 exactly once (PROTOCOL §4). */
export type Qos = 0 | 1 | 2;

/** The names used by XSockets for the levels, so controllers read like the seed. */
export const QoS = { FireAndForget: 0, AtLeastOnce: 1, ExactlyOnce: 2 } as const satisfies Record<string, Qos>;

export type SessionKind = 'clean' | 'persistent';
export type FrameFormat = 'json' | 'text';

/** The parameters of the handshake, once validated (PROTOCOL §1). */
export interface ConnectParams {
  claimedQos: Qos;
  controllers: string[];
  /** Absent when the client gave none: the session is then keyed by the connection id. */
  clientId?: string;
  sessionKind: SessionKind;
  format: FrameFormat;
  token?: string;
  /** The last will given by the `will...` query parameters (PROTOCOL §9), if any. */
  will?: Will;
}

/**
 * A connection's last will (PROTOCOL §9): published as if the client had published it when the
 * connection ends without a `disconnect` frame.
 */
export interface Will {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
  retain: boolean;
}

/** A live WebSocket connection as stored by the ConnectionStore. */
export interface ConnectionRecord {
  connectionId: string;
  /** The key of everything the session owns: the clientId, or the connection id if none was given. */
  sessionId: string;
  sessionKind: SessionKind;
  claimedQos: Qos;
  format: FrameFormat;
  /** Controllers this connection has open (invokeToAll reaches it through them). */
  controllers: string[];
  connectedAt: number;
  expiresAt: number;
  /** Its last will (PROTOCOL §9); taken, exactly once, by whoever ends the connection (ConnectionStore.claimEnd). */
  will?: Will;
  /** Set by a `disconnect` frame (its will already dropped): its end is a clean goodbye. */
  disconnecting?: boolean;
}

/**
 * A session that outlives connections (persistent) or that has a clientId (clean, so a
 * second connection with the same clientId can take it over, as in MQTT).
 */
export interface SessionRecord {
  sessionId: string;
  sessionKind: SessionKind;
  /** The connection now serving the session; absent while a persistent session is away. */
  connectionId?: string;
  claimedQos: Qos;
  format: FrameFormat;
  expiresAt: number;
}

/**
 * Somebody a message may go to, as found by fan-out (controller membership or
 * topic subscription). It carries what delivery needs so fan-out reads nothing more.
 */
export interface Recipient {
  sessionId: string;
  /** Absent while a persistent session is away: QoS 0 is dropped, QoS 1/2 parked. */
  connectionId?: string;
  sessionKind: SessionKind;
  claimedQos: Qos;
  format: FrameFormat;
  /** The subscription's granted QoS where the recipient came by subscription. */
  subscriptionQos?: Qos;
  /**
   * Lazy flow control: the session has shown unacknowledged backlog (it missed an ack timeout, or
   * has held messages), so a delivery checks its cap. Kept on the membership and subscription
   * items fan-out reads anyway, so an unflagged recipient costs no read (docs/protocol.md
   * "Flow control"). Absent means not flagged.
   */
  backlogged?: boolean;
}

/**
 * Lazy flow control's flag of one session, as the ack path reads it (one strongly consistent
 * read per ack frame). `epoch` grows with every flagging, so a clear that read an older epoch
 * loses against a flagging that came after its read.
 */
export interface BacklogFlag {
  backlogged: boolean;
  epoch: number;
}

/** A topic subscription, keyed by (controller, topic, sessionId). */
export interface Subscription extends Recipient {
  controller: string;
  topic: string;
  /** Granted QoS: min(asked, claimed). */
  subscriptionQos: Qos;
  expiresAt: number;
}

/**
 * A QoS 1 or 2 message on its way to one recipient session (PROTOCOL §4, server to client).
 *
 *   QoS 1:  sent --msgack--> (deleted)
 *   QoS 2:  sent --pubrec--> released --msgack--> (completed: a tombstone until its deadline)
 *
 * `dueAt` is when the last unanswered step is to be sent again (the resend index's sort key).
 * A parked entry (persistent session away) is not sent by the sweep: its `dueAt` is its
 * deadline, so the sweep finds it exactly when it must be dead-lettered.
 */
export interface PendingEntry {
  sessionId: string;
  /** The server's message id, as the client sees it. */
  id: string;
  /** The connection to send to; absent while parked. */
  connectionId?: string;
  sessionKind: SessionKind;
  format: FrameFormat;
  controller: string;
  topic: string;
  data: unknown;
  qos: 1 | 2;
  retained?: boolean;
  /**
   * PROTOCOL §4 per-message expiry: the message's end (ms). Past it the message is not sent or
   * resent and the entry is dropped (core/expiry.ts); `dueAt` and `expiresAt` are never later
   * than needed for it. A released QoS 2 entry's pubrel still finishes (its message is not sent
   * again anyway). Absent: the message does not expire.
   */
  messageExpiresAt?: number;
  state: 'sent' | 'released';
  parked: boolean;
  /**
   * Flow control: stored but not sent, because the client has its cap of unacknowledged
   * messages; sent as its acks free room (oldest first). Like a parked entry, it is due only at
   * its deadline.
   */
  held?: boolean;
  /**
   * The message itself has been posted at least once (to any connection). Its next sending is
   * then a repeat (`dup: true`); until then every sending is a first one (`dup: false`, as MQTT's
   * DUP=0). Absent on entries stored before this field existed: see `wasSent` in core/pending.ts.
   */
  sent?: boolean;
  /**
   * Set while the entry is being moved to the dead letters (a lease, see app/dead-letter.ts):
   * why and when, so a retry after a crash writes the same letter. No replaceIf but another
   * dead-letter lease can win against it (PendingStore.replaceIf).
   */
  deadLettering?: { reason: DeadLetterReason; deadAt: number };
  /** Sends of the current step so far (the attempt limit counts these). */
  attempts: number;
  createdAt: number;
  /** After this the entry is dead-lettered instead of sent (createdAt + message TTL). */
  deadlineAt: number;
  dueAt: number;
  /** When storage may forget it (deadline plus a grace period, so the sweep sees it first). */
  expiresAt: number;
}

/** The key of a pending entry: a client can only ever address its own session's entries. */
export interface PendingKey {
  sessionId: string;
  id: string;
}

/** A client's QoS 2 publish, stored at `publish`, handed on at `pubrel` (MQTT method A). */
export interface InboundRecord {
  sessionId: string;
  /** The client's id for its publish. */
  id: string;
  controller: string;
  topic: string;
  data: unknown;
  retain: boolean;
  /** The server id this message gets toward recipients, fixed at publish so a replay reuses it. */
  messageId: string;
  receivedAt: number;
  /** PROTOCOL §4 per-message expiry: the message's end (ms); expired at pubrel, it is handed to nobody. */
  messageExpiresAt?: number;
  /**
   * A batched publish (PROTOCOL §2 `messages`): every message of the batch, each with its own
   * server id fixed at publish. The top-level controller and topic are then the first message's
   * (for logs), `data` is null and unused. One item: the frame is at most 32 KB, so the batch
   * stays far below DynamoDB's 400 KB item limit.
   */
  messages?: InboundMessage[];
  /** While a pubrel is handing it on, other pubrels keep off until this time. */
  releasingUntil?: number;
  /**
   * How many pubrels have claimed it so far: more than 1 means an earlier hand-on may have stored
   * recipients' entries under the same server id already (a re-run, see app/hand-on.ts).
   */
  releases?: number;
  /**
   * The connection that received the publish, so the cleanup of a clean session with a
   * clientId deletes only its own records, not those a fast reconnect has received since.
   */
  connectionId?: string;
  expiresAt: number;
}

/** One message of a stored QoS 2 batch (InboundRecord.messages). */
export interface InboundMessage {
  controller: string;
  topic: string;
  data: unknown;
  retain: boolean;
  /** The server id this message gets toward recipients, fixed at publish so a replay reuses it. */
  messageId: string;
  /** PROTOCOL §4 per-message expiry: the message's end (ms). */
  messageExpiresAt?: number;
}

/** A topic's kept last value (`retain: true`). */
export interface RetainedMessage {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
  publishedAt: number;
  /** PROTOCOL §4 per-message expiry: the message's end (ms); `expiresAt` is never later. */
  messageExpiresAt?: number;
  expiresAt: number;
}

export type DeadLetterReason = 'attempts' | 'ttl';

/** A pending entry that ran out of attempts or time, kept for inspection and replay. */
export interface DeadLetter {
  entry: PendingEntry;
  reason: DeadLetterReason;
  deadAt: number;
  expiresAt: number;
}

// ---------------------------------------------------------------------------
// Frames (PROTOCOL §2, §3, §6)
// ---------------------------------------------------------------------------

/** At most this many messages in one batched publish (PROTOCOL §2). */
export const MAX_BATCH_MESSAGES = 100;

/** One message of a batched publish (PROTOCOL §2), validated as a single publish's fields. */
export interface PublishMessage {
  controller: string;
  topic: string;
  data: unknown;
  retain: boolean;
  /** PROTOCOL §4 per-message expiry: seconds, 1 to the message TTL; absent: none. */
  expiry?: number;
}

/** A client's frame once parsed and validated, JSON or text alike. */
export type Command =
  | {
      action: 'publish';
      controller: string;
      topic: string;
      data: unknown;
      qos: Qos;
      id?: string;
      retain: boolean;
      dup: boolean;
      /** PROTOCOL §4 per-message expiry: seconds, 1 to the message TTL; absent: none. */
      expiry?: number;
    }
  /**
   * A batched publish (PROTOCOL §2 `messages`): one id and one QoS for up to
   * {@link MAX_BATCH_MESSAGES} messages, answered once.
   */
  | { action: 'publish'; messages: PublishMessage[]; qos: Qos; id?: string; dup: boolean }
  | { action: 'msgack'; ids: string[] }
  | { action: 'pubrec'; id: string }
  | { action: 'pubrel'; id: string }
  | { action: 'subscribe'; controller: string; topic: string; qos: Qos }
  | { action: 'unsubscribe'; controller: string; topic: string }
  | { action: 'resume' }
  | { action: 'ping' }
  /** Sets the connection's last will, or clears it (`will` absent). PROTOCOL §2, §9. */
  | { action: 'will'; will?: Will }
  | { action: 'disconnect' }
  /** PROTOCOL §10: a topic's stored messages, newest first; `id` (optional) is echoed on every answer frame. */
  | { action: 'history'; controller: string; topic: string; limit: number; since?: number; before?: number; id?: string };

export type Action = Command['action'];

/** What the server writes to a client. */
export type ServerFrame =
  | {
      type: 'message';
      controller: string;
      topic: string;
      data: unknown;
      qos: Qos;
      /** Only where qos is 1 or 2. */
      id?: string;
      dup: boolean;
      retained?: boolean;
      /** PROTOCOL §4 per-message expiry: the seconds the message has left when sent (JSON only). */
      expiry?: number;
    }
  | { type: 'pubrel'; id: string; controller?: string }
  | { type: 'pubrec'; id: string; controller?: string }
  | {
      type: 'msgack';
      id: string;
      controller?: string;
      /**
       * Optional, JSON only (docs/protocol.md §3): how many recipients a client's QoS 1/2 publish
       * was handed to (0: nobody received it). Absent where the server does not know.
       */
      recipients?: number;
    }
  | { type: 'suback'; controller: string; topic: string; qos: Qos }
  | { type: 'unsuback'; controller: string; topic: string }
  | { type: 'pong' }
  | { type: 'willack' }
  | { type: 'error'; code: ErrorCode; message: string; action?: string; id?: string }
  | HistoryFrame;

/** One stored message as `history` shows it (PROTOCOL §10). */
export interface HistoryItem {
  data: unknown;
  /** When the server accepted it (ms): its `receivedAt`. */
  at: number;
  clientId: string;
}

/**
 * One frame of a `history` answer (PROTOCOL §10, docs/protocol.md §10): `more` is true while
 * further frames of this answer follow; the last has `more: false` and, when older records
 * match beyond `limit`, `next`: the `before` that asks for them.
 */
export interface HistoryFrame {
  type: 'history';
  controller: string;
  topic: string;
  items: HistoryItem[];
  more: boolean;
  next?: number;
  /** The request's id, when it gave one. */
  id?: string;
}

/** The error codes of PROTOCOL §3: stable, documented, never an exception's text. */
export type ErrorCode =
  | 'BAD_FRAME'
  | 'BAD_REQUEST'
  | 'UNKNOWN_ACTION'
  | 'UNKNOWN_CONTROLLER'
  | 'FORBIDDEN'
  | 'TOO_LARGE'
  | 'RATE_LIMITED'
  | 'INTERNAL';

/**
 * A message accepted from a client, as history keeps it and the ingestion sink writes it
 * (PROTOCOL §10, §11). `messageId` is the same for every resend of one client message and for a
 * retried QoS 2 hand-on, so a consumer can drop the duplicates at-least-once writing allows.
 */
export interface HistoryRecord {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
  /** The sender's clientId (its session id: the connection id when it gave none). */
  clientId: string;
  /** When the server accepted it (ms since the epoch). */
  receivedAt: number;
  messageId: string;
  /** Kept until (ms): receivedAt plus the history TTL. */
  expiresAt: number;
}
