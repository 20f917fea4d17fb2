import { isValidName } from './frames/names.js';
import type { QosPolicy } from './policy.js';
import { filterProblem, matches } from './topic-filter.js';
import type { HistoryRecord, Qos } from './types.js';

/**
 * What is recorded of the messages accepted from clients (PROTOCOL §10 history, §11 ingestion),
 * and how: pure rules over the policy. One record per client message, written before the answer
 * (app/ingest.ts); the history table keeps it for the history TTL and its stream feeds the sink.
 *
 *   historyTtlMs > 0               -> recorded, kept historyTtlMs     (history, and the sink if on)
 *   historyTtlMs = 0, sink on      -> recorded, kept SINK_ONLY_TTL_MS  (the stream reads it in a minute)
 *   historyTtlMs = 0, sink off     -> not recorded
 *   topic not in ingestTopics      -> not recorded
 */

const HOUR = 60 * 60 * 1000;

/**
 * How long a record lives when history is off and only the sink reads it: the table's stream
 * hands it to the sink within a minute, and an hour leaves room for the sink's retries.
 */
export const SINK_ONLY_TTL_MS = HOUR;

/** The controller part of an ingestTopics entry that stands for every controller. */
export const ANY_CONTROLLER = '*';

export type IngestPolicy = Pick<QosPolicy, 'historyTtlMs' | 'ingestTopics' | 'sinkEnabled'>;

/** Whether `history` may be read in this deployment (PROTOCOL §10: a TTL of 0 keeps none). */
export function isHistoryOn(policy: Pick<QosPolicy, 'historyTtlMs'>): boolean {
  return policy.historyTtlMs > 0;
}

/** How long a record is kept, or undefined when nothing is recorded (history and sink both off). */
export function recordTtlMs(policy: IngestPolicy): number | undefined {
  if (isHistoryOn(policy)) return policy.historyTtlMs;
  return policy.sinkEnabled ? SINK_ONLY_TTL_MS : undefined;
}

/** Whether the deployment's ingestTopics select this controller's topic. */
export function isIngested(policy: Pick<QosPolicy, 'ingestTopics'>, controller: string, topic: string): boolean {
  return policy.ingestTopics.some((entry) => {
    const { controller: wanted, filter } = splitEntry(entry);
    return (wanted === ANY_CONTROLLER || wanted === controller) && matches(filter, topic);
  });
}

/** Why an ingestTopics entry is not `<controller>/<topic filter>`, or undefined when it is. */
export function ingestTopicProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  if (slash <= 0 || slash === entry.length - 1) return `"${entry}" is not <controller>/<topic filter> (e.g. sensor/#, */temp)`;
  const { controller, filter } = splitEntry(entry);
  if (controller !== ANY_CONTROLLER && !isValidName(controller)) return `"${entry}": the controller must be * or a controller name`;
  const problem = filterProblem(filter);
  return problem === undefined ? undefined : `"${entry}": ${problem}`;
}

/** The controller is the part before the first `/` (a controller whose name holds a `/` is selected by `*`). */
function splitEntry(entry: string): { controller: string; filter: string } {
  const slash = entry.indexOf('/');
  return { controller: entry.slice(0, slash), filter: entry.slice(slash + 1) };
}

/** One message of what a client sent, as it is recorded. */
export interface AcceptedMessage {
  controller: string;
  topic: string;
  data: unknown;
  qos: Qos;
}

/** Where the messages came from and the id that makes their records idempotent. */
export interface AcceptedSource {
  /** The sender's session id: its clientId, or its connection id when it gave none. */
  clientId: string;
  /** The id of the client message (for a batch, of the whole frame): see app/ingest.ts. */
  messageId: string;
  receivedAt: number;
}

/**
 * The records of one client frame's messages (one, or a batch): those ingestTopics select, each
 * kept for `ttlMs`. In a batch of more than one, message `i` has the id `<messageId>:<i>`
 * (its index in the frame), so each is its own record and a resent batch rewrites the same keys.
 */
export function historyRecordsOf(messages: AcceptedMessage[], source: AcceptedSource, policy: Pick<QosPolicy, 'ingestTopics'>, ttlMs: number): HistoryRecord[] {
  const batch = messages.length > 1;
  return messages.flatMap((message, index) =>
    isIngested(policy, message.controller, message.topic)
      ? [
          {
            controller: message.controller,
            topic: message.topic,
            data: message.data,
            qos: message.qos,
            clientId: source.clientId,
            receivedAt: source.receivedAt,
            messageId: batch ? `${source.messageId}:${index}` : source.messageId,
            expiresAt: source.receivedAt + ttlMs,
          },
        ]
      : [],
  );
}
