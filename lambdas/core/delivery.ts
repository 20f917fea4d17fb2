import { expiryField, isExpired } from './expiry.js';
import { newPendingEntry, stepFrame } from './pending.js';
import type { QosPolicy } from './policy.js';
import { effectiveQos } from './qos.js';
import type { PendingEntry, Qos, Recipient, ServerFrame, SessionKind, FrameFormat } from './types.js';

/**
 * One message to be handed on: to every connection with a controller open (`invoke`, RPC)
 * or to a topic's subscribers (`publish`, pub/sub) (PROTOCOL §5).
 */
export interface Delivery {
  via: 'invoke' | 'publish';
  controller: string;
  topic: string;
  data: unknown;
  /** What the sender asked; each recipient gets min(this, its claim, its subscription). */
  qos: Qos;
  retained?: boolean;
  /**
   * PROTOCOL §4 per-message expiry: the message's end (ms since the epoch: the publish's `now`
   * plus its `expiry` seconds). Past it the delivery sends and stores nothing; every entry made
   * from it carries it (PendingEntry.messageExpiresAt). Absent: the message does not expire.
   */
  expiresAt?: number;
  /**
   * The server id may have been used for this delivery before: a QoS 2 hand-on run again after
   * an earlier run died part way (app/hand-on.ts). Recipients' entries are then stored only
   * where none is (PendingStore.putAbsent): nobody's entry is reset or brought back.
   */
  rerun?: boolean;
  /**
   * PROTOCOL §8: the controller's filters that matched `topic` when it was published, sorted.
   * With the exact topic first, they are the audience's partitions, in a fixed order that every
   * page job of the delivery reads alike (app/fanout.ts). Absent: the exact topic only.
   */
  filters?: string[];
}

/** A frame to post to one connection. */
export interface PlannedSend {
  connectionId: string;
  sessionId: string;
  sessionKind: SessionKind;
  format: FrameFormat;
  frame: ServerFrame;
  /** The stored entry behind a QoS 1/2 send (to park it if the connection turns out gone). */
  entry?: PendingEntry;
  /** The recipient's session showed unacknowledged backlog (Recipient.backlogged): lazy flow control checks it. */
  backlogged?: boolean;
}

export interface DeliveryPlan {
  /** Stored first, all of them, before any send (PROTOCOL §4: "stored ..., then sent"). */
  entries: PendingEntry[];
  sends: PlannedSend[];
  /** QoS 0 messages for persistent sessions that are away (PROTOCOL §4: dropped). */
  dropped: number;
}

/**
 * Plans one page of recipients, at the delivery's `now` (its entries' times), sent at `sentAt`
 * (later for a fan-out page job: its frames' `expiry` counts from then, PROTOCOL §4). Every
 * recipient of one delivery gets the same server id
 * (`recipientId(messageId, delivery.qos)`): unique per recipient session, and the same again if
 * a QoS 2 release is replayed, so the replay finds the entries the first run stored rather than
 * doubling them.
 */
export function planDelivery(
  recipients: Recipient[],
  delivery: Delivery,
  messageId: string,
  now: number,
  policy: QosPolicy,
  sentAt: number = now,
): DeliveryPlan {
  const plan: DeliveryPlan = { entries: [], sends: [], dropped: 0 };
  const end = { messageExpiresAt: delivery.expiresAt };
  // PROTOCOL §4: an expired message is sent to nobody, and nothing is stored for it.
  if (isExpired(end, sentAt)) return plan;
  const message = {
    controller: delivery.controller,
    topic: delivery.topic,
    data: delivery.data,
    ...(delivery.retained ? { retained: true } : {}),
    ...(delivery.expiresAt !== undefined ? { messageExpiresAt: delivery.expiresAt } : {}),
  };
  const id = recipientId(messageId, delivery.qos);
  for (const recipient of recipients) {
    const qos = effectiveQos(delivery.qos, recipient);
    const target = {
      sessionId: recipient.sessionId,
      sessionKind: recipient.sessionKind,
      format: recipient.format,
    };
    if (qos === 0) {
      // QoS 0: sent once, nothing stored; nobody to send to if the session is away.
      if (recipient.connectionId === undefined) plan.dropped += 1;
      else plan.sends.push({ ...target, connectionId: recipient.connectionId, frame: { type: 'message', ...qos0Message(message), qos: 0, dup: false, ...expiryField(end, sentAt) } });
      continue;
    }
    const entry = newPendingEntry(recipient, message, id, qos, now, policy);
    plan.entries.push(entry);
    if (recipient.connectionId !== undefined) {
      const backlogged = recipient.backlogged ? { backlogged: true } : {};
      plan.sends.push({ ...target, connectionId: recipient.connectionId, frame: stepFrame(entry, false, sentAt), entry, ...backlogged });
    }
  }
  return plan;
}

/** A QoS 0 frame's message fields: the message's end travels as `expiry` seconds, not as a field of its own. */
function qos0Message<T extends { messageExpiresAt?: number }>(message: T): Omit<T, 'messageExpiresAt'> {
  const { messageExpiresAt: _end, ...rest } = message;
  return rest;
}

/** The id of the k-th delivery a controller makes while handling one message. */
export function deliveryMessageId(messageId: string, index: number): string {
  return index === 0 ? messageId : `${messageId}.${index}`;
}

/**
 * The id recipients of a delivery see, marked by the delivery's QoS (`<messageId>:1` or `:2`),
 * so that a msgack can tell without a read what it acks (docs/protocol.md "msgack"): an id of a
 * QoS 1 delivery is a QoS 1 entry, which msgack deletes blind; any other id may be a QoS 2 entry
 * (completed only after pubrec, leaving a tombstone), which msgack reads first.
 *
 * The mark follows what the sender asked, not each recipient's effective QoS: a re-run of a QoS 2
 * hand-on must find the entries of the first run under the same ids even if a recipient's
 * subscription QoS changed in between (app/hand-on.ts). A QoS 1 recipient of a QoS 2 delivery so
 * gets a `:2` id and its ack pays the read. Ids stay within `A-Za-z0-9._:-` (text-frame safe).
 */
export function recipientId(messageId: string, deliveryQos: Qos): string {
  return `${messageId}:${deliveryQos === 2 ? 2 : 1}`;
}

/**
 * Whether msgack may delete this id blind: only an id of a QoS 1 delivery. Ids without a mark
 * (entries stored before marks existed, or test fixtures) and `:2` ids take the read path, so no
 * QoS 2 entry is ever deleted without the pubrec check and its tombstone.
 */
export function isQos1Id(id: string): boolean {
  return id.endsWith(':1');
}

/** The opposite of {@link isQos1Id}: the ack must read the entry (QoS 2, or an unmarked id). */
export function isQos2Id(id: string): boolean {
  return !isQos1Id(id);
}

/**
 * A server id: the time in base 36, then 8 hex digits (app/ids.ts), then optionally `.k` (the
 * k-th delivery of a message) and the QoS mark.
 */
const SERVER_ID = /^([0-9a-z]+)[0-9a-f]{8}(?:\.\d+)?:[12]$/;

/**
 * When the message behind a server id was handed on, read from the id itself, so a blind QoS 1
 * ack can still report AckLatency. Undefined for an id not made by app/ids.ts or one whose time
 * is implausible (in the future, or older than `maxAgeMs`).
 */
export function idTime(id: string, now: number, maxAgeMs: number): number | undefined {
  const match = SERVER_ID.exec(id);
  if (!match) return undefined;
  const time = Number.parseInt(match[1] as string, 36);
  return Number.isSafeInteger(time) && time <= now && now - time <= maxAgeMs ? time : undefined;
}
