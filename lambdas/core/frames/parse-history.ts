import { ProtocolError } from '../errors.js';
import { isFilter } from '../topic-filter.js';
import type { Command } from '../types.js';
import { isReservedTopic, isValidMessageId, isValidName, MESSAGE_ID_RULE, NAME_RULE } from './names.js';

/**
 * PROTOCOL §10 `history`, JSON only (docs/protocol.md §10: a text connection sends it as JSON, as
 * it does `will`; a text form would reserve the topic name `history`):
 *
 *   {"action":"history","controller":"sensor","topic":"temp","limit":100,"since":1764547200000,"before":...,"id":"h1"}
 *
 * Every rule broken is a BAD_REQUEST naming it; nothing is read.
 */

/** PROTOCOL §10: at most this many messages per request, and this many by default. */
export const MAX_HISTORY_LIMIT = 1000;
export const DEFAULT_HISTORY_LIMIT = 100;

export const HISTORY_LIMIT_RULE = `limit must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`;

/** Reads a `history` frame's fields (own properties only, as parse-frame.ts does). */
export function parseHistory(frame: Record<string, unknown>): Command {
  const get = (name: string): unknown => (Object.hasOwn(frame, name) ? frame[name] : undefined);
  const controller = get('controller');
  if (controller === undefined) throw badRequest('controller is required');
  if (typeof controller === 'string' && controller.startsWith('$')) throw badRequest('controller names starting with $ are the server\'s: their messages are not recorded (PROTOCOL §9, §10)');
  if (!isValidName(controller)) throw badRequest(`controller must be ${NAME_RULE}`);
  const topic = get('topic');
  if (topic === undefined) throw badRequest('topic is required');
  if (typeof topic === 'string' && isFilter(topic)) throw badRequest('topic of history is one topic: it cannot hold the wildcards + or #');
  if (!isValidName(topic)) throw badRequest(`topic must be ${NAME_RULE}`);
  if (isReservedTopic(topic)) throw badRequest(`topic ${topic} is reserved`);
  const id = get('id');
  if (id !== undefined && !isValidMessageId(id)) throw badRequest(`id must be ${MESSAGE_ID_RULE}`);
  const limit = get('limit') ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_HISTORY_LIMIT) throw badRequest(HISTORY_LIMIT_RULE);
  const since = optionalTime(get('since'), 'since');
  const before = optionalTime(get('before'), 'before');
  if (since !== undefined && before !== undefined && since > before) throw badRequest('since must not be after before');
  return {
    action: 'history',
    controller,
    topic,
    limit: limit as number,
    ...(since !== undefined ? { since } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(id !== undefined ? { id: id as string } : {}),
  };
}

/** The latest time history keys hold: 13 digits of ms (the year 2286; schema.ts msgKey). */
export const MAX_HISTORY_TIME = 9_999_999_999_999;

/** ms since the epoch: a whole number from 0 to {@link MAX_HISTORY_TIME}. */
function optionalTime(value: unknown, name: 'since' | 'before'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_HISTORY_TIME) {
    throw badRequest(`${name} must be a whole number of ms since the epoch, from 0 to ${MAX_HISTORY_TIME}`);
  }
  return value;
}

function badRequest(message: string): ProtocolError {
  return new ProtocolError('BAD_REQUEST', message);
}
