import { HandshakeError } from '../errors.js';
import type { ConnectParams, FrameFormat, Qos, SessionKind, Will } from '../types.js';
import { CLIENT_ID_RULE, isReservedTopic, isValidClientId, isValidName, NAME_RULE } from './names.js';

/**
 * Reads the handshake's query string and headers (PROTOCOL §1) into {@link ConnectParams};
 * a bad parameter throws {@link HandshakeError} 400. Whether a token is good (401/403) and
 * whether a controller is registered are decided elsewhere.
 *
 * Choices where PROTOCOL §1 is silent, so that a hand-typed URL just works:
 * - Every parameter NAME is case-insensitive (§1 says so for `qos`; `clientid`, `Session`
 *   and `FORMAT` work the same). A parameter given more than once (`qos=1&qos=2`, or in two
 *   cases, `qos=1&QoS=2`) is 400 naming it unless every value agrees; identical repeats are fine.
 *   Repeats are only visible in `multiValueQueryStringParameters`: API Gateway's
 *   `queryStringParameters` keeps just the last value, so both maps are read.
 * - The values of `session` and `format` are case-insensitive too (`session=Persistent`).
 * - An empty value is an absent parameter (`qos=` is 0, `clientId=` is none).
 * - `controllers` and `controller` both work and are merged, and so are repeats of either
 *   (`controllers=a&controllers=b` is `a,b`); the list is split on `,`, entries are trimmed, empty entries skipped (`a,,b,`), duplicates dropped, order kept.
 * - `token` in the query and `Authorization: Bearer` may both be given only if they agree.
 *   An Authorization header of another scheme is not a token (left to the authorizer).
 * - Unknown parameters are ignored (cache busters, other libraries' parameters).
 */
export function parseConnectParams(
  query: Record<string, string | undefined> | null | undefined,
  headers: Record<string, string | undefined> | null | undefined,
  multiValueQuery?: MultiValueQuery,
): ConnectParams {
  const params = byLowerCaseName(query, multiValueQuery);
  const claimedQos = parseQos(pick(params, 'qos'));
  const controllers = parseControllers([...all(params, 'controllers'), ...all(params, 'controller')]);
  const clientId = pick(params, 'clientid');
  if (clientId !== undefined && !isValidClientId(clientId)) {
    throw new HandshakeError(400, `clientId must be ${CLIENT_ID_RULE}`);
  }
  const sessionKind = parseSession(pick(params, 'session'));
  // §1: a persistent session is found again by its clientId; without one it could never be.
  if (sessionKind === 'persistent' && clientId === undefined) {
    throw new HandshakeError(400, 'session=persistent needs a clientId');
  }
  const format = parseFormat(pick(params, 'format'));
  const token = parseToken(pick(params, 'token'), pick(byLowerCaseName(headers), 'authorization'));
  const will = parseWill(params);
  return {
    claimedQos,
    controllers,
    ...(clientId !== undefined ? { clientId } : {}),
    sessionKind,
    format,
    ...(token !== undefined ? { token } : {}),
    ...(will !== undefined ? { will } : {}),
  };
}

/**
 * PROTOCOL §9: `willController`, `willTopic`, `willData`, `willQos`, `willRetain`, checked as a
 * publish of the will would be (the data's size is the handler's to check: it knows the limit).
 * `willData` is read as a text frame's data is (§6): JSON where it parses, else the string.
 * No `willTopic`: no will, and then the other will parameters are refused rather than ignored.
 */
function parseWill(params: Map<string, Entry[]>): Will | undefined {
  const topic = pick(params, 'willtopic');
  const controller = pick(params, 'willcontroller');
  const data = pick(params, 'willdata');
  const qos = pick(params, 'willqos');
  const retain = pick(params, 'willretain');
  if (topic === undefined) {
    if ([controller, data, qos, retain].some((v) => v !== undefined)) throw new HandshakeError(400, 'willTopic is required with the other will parameters');
    return undefined;
  }
  if (controller === undefined) throw new HandshakeError(400, 'willController is required with willTopic');
  if (controller.startsWith('$')) throw new HandshakeError(400, 'willController cannot start with $: those controllers are the server\'s (PROTOCOL §9)');
  if (!isValidName(controller)) throw new HandshakeError(400, `willController must be ${NAME_RULE}`);
  if (!isValidName(topic)) throw new HandshakeError(400, `willTopic must be ${NAME_RULE}`);
  if (isReservedTopic(topic)) throw new HandshakeError(400, `willTopic ${topic} is reserved`);
  if (qos !== undefined && qos !== '0' && qos !== '1' && qos !== '2') throw new HandshakeError(400, 'willQos must be 0, 1 or 2');
  const retainValue = retain?.toLowerCase();
  if (retainValue !== undefined && retainValue !== 'true' && retainValue !== 'false') throw new HandshakeError(400, 'willRetain must be true or false');
  return { controller, topic, data: data === undefined ? null : willData(data), qos: (qos === undefined ? 0 : Number(qos)) as Qos, retain: retainValue === 'true' };
}

/** As PROTOCOL §6 reads a text frame's data: JSON where it parses (and stays finite), else the text. */
function willData(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'number' && !Number.isFinite(value) ? text : value;
  } catch {
    return text;
  }
}

/** API Gateway's `multiValueQueryStringParameters`: every value of every name, in order. */
export type MultiValueQuery = Record<string, readonly string[] | undefined> | null | undefined;

interface Entry {
  name: string;
  value: string;
}

/**
 * Entries by lower-cased name; empty values dropped (an empty value is an absent one). A name
 * found in `multi` takes all its values from there (its single value is only the last of them).
 */
function byLowerCaseName(record: Record<string, string | undefined> | null | undefined, multi?: MultiValueQuery): Map<string, Entry[]> {
  const map = new Map<string, Entry[]>();
  const add = (name: string, value: unknown): void => {
    if (typeof value !== 'string' || value === '') return;
    const key = name.toLowerCase();
    const entries = map.get(key) ?? [];
    entries.push({ name, value });
    map.set(key, entries);
  };
  for (const [name, values] of Object.entries(multi ?? {})) {
    if (Array.isArray(values)) for (const value of values) add(name, value);
  }
  for (const [name, value] of Object.entries(record ?? {})) {
    if (!Array.isArray(multi?.[name])) add(name, value);
  }
  return map;
}

/** Every value under a case-insensitive name, for the parameters whose repeats merge. */
function all(map: Map<string, Entry[]>, lowerName: string): string[] {
  return (map.get(lowerName) ?? []).map((entry) => entry.value);
}

/** The one value under a case-insensitive name; `qos=1&qos=2` or `qos=1&QoS=2` cannot both be meant. */
function pick(map: Map<string, Entry[]>, lowerName: string): string | undefined {
  const entries = map.get(lowerName);
  const first = entries?.[0];
  if (entries === undefined || first === undefined) return undefined;
  if (entries.some((entry) => entry.value !== first.value)) {
    const names = [...new Set(entries.map((entry) => entry.name))];
    const [only] = names;
    throw new HandshakeError(400, names.length === 1 ? `${only} is repeated with different values` : `${names.join(' and ')} disagree`);
  }
  return first.value;
}

/** §1: 0, 1 or 2, absent = 0; exactly those digits (no `01`, ` 1` or `1.0`). */
function parseQos(value: string | undefined): Qos {
  if (value === undefined) return 0;
  if (value === '0' || value === '1' || value === '2') return Number(value) as Qos;
  throw new HandshakeError(400, 'qos must be 0, 1 or 2');
}

function parseControllers(lists: readonly string[]): string[] {
  const controllers = new Set<string>();
  for (const list of lists) {
    for (const raw of list.split(',')) {
      const name = raw.trim();
      if (name === '') continue;
      if (!isValidName(name)) throw new HandshakeError(400, `controller ${quote(name)} must be ${NAME_RULE}`);
      controllers.add(name);
    }
  }
  return [...controllers];
}

function parseSession(value: string | undefined): SessionKind {
  const kind = value?.toLowerCase() ?? 'clean';
  if (kind === 'clean' || kind === 'persistent') return kind;
  throw new HandshakeError(400, 'session must be clean or persistent');
}

function parseFormat(value: string | undefined): FrameFormat {
  const format = value?.toLowerCase() ?? 'json';
  if (format === 'json' || format === 'text') return format;
  throw new HandshakeError(400, 'format must be json or text');
}

/** RFC 6750 §2.1: `Bearer` is case-insensitive, the token follows one or more spaces. */
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The handshake's bearer token, from `token` (any case) in the query or `Authorization: Bearer`
 * (the authorizer reads it with this, so it finds the token exactly where `$connect` does).
 * Throws {@link HandshakeError} 400 when both are given and disagree.
 */
export function connectToken(
  query: Record<string, string | undefined> | null | undefined,
  headers: Record<string, string | undefined> | null | undefined,
  multiValueQuery?: MultiValueQuery,
): string | undefined {
  return parseToken(pick(byLowerCaseName(query, multiValueQuery), 'token'), pick(byLowerCaseName(headers), 'authorization'));
}

function parseToken(fromQuery: string | undefined, authorization: string | undefined): string | undefined {
  const fromHeader = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  if (fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader) {
    throw new HandshakeError(400, 'token and the Authorization header disagree');
  }
  return fromQuery ?? fromHeader;
}

/** The client's text, echoed in a message: quoted, and cut so a long value stays readable. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
