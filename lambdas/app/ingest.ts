import { historyRecordsOf, recordTtlMs } from '../core/ingest.js';
import type { AppDeps } from './deps.js';
import type { Publication } from './hand-on.js';

/** Who sent the messages, and what identifies them across the client's resends. */
export interface AcceptedFrom {
  sessionId: string;
  connectionId: string;
  /** The client's id of its publish (QoS 1 and 2; a batch's one id). */
  clientMessageId?: string;
  /**
   * The server id of the message: QoS 2 the inbound record's, fixed at publish, so every retried
   * pubrel writes the same key; QoS 0 the id its hand-on gives recipients.
   */
  messageId?: string;
}

/**
 * Records the messages of one accepted client frame (PROTOCOL §10, §11): one write (BatchWriteItem,
 * 25 per request) to the history table, whose stream feeds the sink. Called by the hand-on
 * (its `accepted` hook: publish.ts and publish-batch.ts for QoS 0/1, pubrel.ts for QoS 2) once
 * every message's controller method has taken it and BEFORE anything is delivered or answered,
 * so an acknowledged message is durably stored for the sink; a crash after it is answered by the
 * client's resend: at QoS 2 a retried pubrel rewrites the same keys (the inbound record's
 * receivedAt and messageId); at QoS 1 the resend is recorded again at its own receivedAt with the
 * same messageId, a duplicate a consumer drops by messageId (PROTOCOL §11). A frame its controller refuses
 * (the sample sensor's `temp` that is not a number) never gets here: the hand-on throws that
 * ProtocolError first, so it is not recorded, and the method runs once, not once here and again
 * in the hand-on.
 *
 * messageId (stable across resends, PROTOCOL §11): QoS 2 the inbound record's; QoS 1
 * `<sessionId>:<the client's id>` (the qosgate client never reuses an id); QoS 0 a fresh server id
 * (the one its hand-on gives recipients, when the caller passes it).
 * A batch of more than one message appends `:<index>` to each (core/ingest.ts).
 */
export async function recordAccepted(deps: AppDeps, publications: Publication[], sender: AcceptedFrom, now: number): Promise<void> {
  const ttlMs = recordTtlMs(deps.policy);
  if (ttlMs === undefined || publications.length === 0) return;
  const records = historyRecordsOf(publications, { clientId: sender.sessionId, messageId: messageIdOf(deps, publications, sender), receivedAt: now }, deps.policy, ttlMs);
  await deps.stores.history.append(records);
}

function messageIdOf(deps: AppDeps, publications: Publication[], sender: AcceptedFrom): string {
  // QoS 1: the client's id is what its resends share (a server id would be new on every resend).
  if (publications[0]?.qos === 1 && sender.clientMessageId !== undefined) return `${sender.sessionId}:${sender.clientMessageId}`;
  return sender.messageId ?? deps.newId();
}
