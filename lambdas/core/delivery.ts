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
   * The server id may have been used for this delivery before: a QoS 2 hand-on run again after
   * an earlier run died part way (app/hand-on.ts). Recipients' entries are then stored only
   * where none is (PendingStore.putAbsent): nobody's entry is reset or brought back.
   */
  rerun?: boolean;
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
}

export interface DeliveryPlan {
  /** Stored first, all of them, before any send (PROTOCOL §4: "stored ..., then sent"). */
  entries: PendingEntry[];
  sends: PlannedSend[];
  /** QoS 0 messages for persistent sessions that are away (PROTOCOL §4: dropped). */
  dropped: number;
}

/**
 * Plans one page of recipients. Every recipient of one delivery gets the same server id
 * (`messageId`): unique per recipient session, and the same again if a QoS 2 release is
 * replayed, so the replay finds the entries the first run stored rather than doubling them.
 */
export function planDelivery(
  recipients: Recipient[],
  delivery: Delivery,
  messageId: string,
  now: number,
  policy: QosPolicy,
): DeliveryPlan {
  const plan: DeliveryPlan = { entries: [], sends: [], dropped: 0 };
  const message = {
    controller: delivery.controller,
    topic: delivery.topic,
    data: delivery.data,
    ...(delivery.retained ? { retained: true } : {}),
  };
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
      else plan.sends.push({ ...target, connectionId: recipient.connectionId, frame: { type: 'message', ...message, qos: 0, dup: false } });
      continue;
    }
    const entry = newPendingEntry(recipient, message, messageId, qos, now, policy);
    plan.entries.push(entry);
    if (recipient.connectionId !== undefined) {
      plan.sends.push({ ...target, connectionId: recipient.connectionId, frame: stepFrame(entry, false), entry });
    }
  }
  return plan;
}

/** The id of the k-th delivery a controller makes while handling one message. */
export function deliveryMessageId(messageId: string, index: number): string {
  return index === 0 ? messageId : `${messageId}.${index}`;
}
