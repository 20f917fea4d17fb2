/**
 * The names and ids of the protocol: controller and topic names (PROTOCOL §7), the reserved
 * topics, message ids (PROTOCOL §2) and client ids (PROTOCOL §1). Pure predicates, shared by
 * the frame parser, the handshake parser and anything else that must agree with them.
 */

/** PROTOCOL §7: names (controller, topic) are 1-128 of `A-Za-z0-9._:/-`. */
const NAME = /^[A-Za-z0-9._:/-]{1,128}$/;

/** PROTOCOL §1: a clientId is 1-128 of `A-Za-z0-9._:-` (no `/`, unlike names). */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** How a name must look, for error messages. */
export const NAME_RULE = '1-128 characters of A-Za-z0-9._:/-';
/** How a clientId must look, for error messages. */
export const CLIENT_ID_RULE = '1-128 characters of A-Za-z0-9._:-';
/** How a message id must look, for error messages. */
export const MESSAGE_ID_RULE = 'a string of 1-64 characters';

/** The longest message id, in characters (Unicode code points). PROTOCOL §2. */
export const MAX_MESSAGE_ID_LENGTH = 64;

/**
 * PROTOCOL §7: topics that are the text frames' QoS steps (`monitor|msgack|m1`), so no
 * message may be published or subscribed to under them.
 */
export const RESERVED_TOPICS = ['msgack', 'pubrec', 'pubrel', 'subscribe', 'unsubscribe', 'resume', 'ping'] as const;

/** One of {@link RESERVED_TOPICS}. */
export type ReservedTopic = (typeof RESERVED_TOPICS)[number];

const RESERVED: ReadonlySet<string> = new Set(RESERVED_TOPICS);

/** A controller or topic name (PROTOCOL §7). Reserved topics are valid names; see {@link isReservedTopic}. */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

/** Whether a topic is one of the text frames' QoS steps (PROTOCOL §7). Case-sensitive, like names. */
export function isReservedTopic(topic: string): topic is ReservedTopic {
  return RESERVED.has(topic);
}

/** A clientId (PROTOCOL §1). */
export function isValidClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID.test(value);
}

/**
 * Control characters (which a terminal would eat and the text frames' CR/LF trimming would
 * strip) and lone surrogates (which do not survive UTF-8, so the ack would not match the id).
 */
const UNSAFE_IN_ID = /[\p{Cc}\p{Cs}]/u;

/**
 * A message id, the client's for its publishes or the server's for its messages
 * (PROTOCOL §2: 1-64 chars). PROTOCOL names no alphabet, so any character is allowed except
 * control characters and lone surrogates (see {@link UNSAFE_IN_ID}); length counts Unicode
 * code points, so "1-64 chars" means what a person would count. A `|` is allowed: in every
 * text frame that carries a client's id, the id is the last field.
 */
export function isValidMessageId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  // Cheap bound first: 64 code points never take more than 128 UTF-16 units.
  if (value.length > MAX_MESSAGE_ID_LENGTH * 2) return false;
  if (UNSAFE_IN_ID.test(value)) return false;
  return codePointLength(value) <= MAX_MESSAGE_ID_LENGTH;
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}
