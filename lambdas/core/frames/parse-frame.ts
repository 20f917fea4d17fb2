import { ProtocolError } from '../errors.js';
import { expiryRule, isValidExpiry } from '../expiry.js';
import { DEFAULT_POLICY } from '../policy.js';
import { isQos } from '../qos.js';
import { filterProblem, isFilter } from '../topic-filter.js';
import { PRESENCE_CONTROLLER } from '../presence.js';
import { MAX_BATCH_MESSAGES, type Action, type Command, type PublishMessage, type Qos, type Will } from '../types.js';
import { isReservedTopic, isValidMessageId, isValidName, MESSAGE_ID_RULE, NAME_RULE } from './names.js';
import { parseHistory } from './parse-history.js';
import { utf8ByteLength } from './utf8.js';

/**
 * Reads a client's frame (PROTOCOL §2 JSON, §6 text) into a validated {@link Command}.
 *
 *   raw ──JSON.parse──► object ─────────────► JSON command (§2)
 *        │              number/array/string ► BAD_FRAME
 *        │              nesting too deep ───► BAD_FRAME
 *        └─not JSON──► starts with { or [ ─► BAD_FRAME (broken JSON, never a text frame)
 *                      controller|topic|data ► text command (§6)
 *                      no `|` ─────────────► BAD_FRAME
 *
 * Every failure is a {@link ProtocolError} carrying the frame's action and id where they were
 * readable, so the error frame can say which frame it answers (PROTOCOL §3).
 */

export interface ParseFrameOptions {
  /** Largest `data`, serialized as JSON, in UTF-8 bytes (PROTOCOL §7). */
  maxDataBytes: number;
  /** Largest `expiry` of a publish, in seconds: the message TTL (PROTOCOL §4). Default: the default TTL's. */
  maxExpirySeconds?: number;
}

/** At most this many ids in one `msgack` (a bound on the work one frame can ask for). */
export const MAX_ACK_IDS = 100;

/** The actions of PROTOCOL §2, in its order (also the order the UNKNOWN_ACTION message lists). */
export const ACTIONS: readonly Action[] = ['publish', 'msgack', 'pubrec', 'pubrel', 'subscribe', 'unsubscribe', 'resume', 'ping', 'will', 'disconnect', 'history'];

/**
 * A text frame's `subscribe` asks for QoS 2, so it is granted min(2, claimed) = the QoS the
 * connection claimed (PROTOCOL §2, §6): a person at a terminal gets what their connection
 * can take, as an XSockets user would expect. `controller|subscribe|topic|qos` asks for less.
 */
export const TEXT_SUBSCRIBE_QOS: Qos = 2;

/** An action echoed in an error frame is cut here: it is the client's text, not ours. */
const MAX_ECHOED_ACTION = 64;

/** Parses and validates one frame; throws {@link ProtocolError} (PROTOCOL §3 codes). */
export function parseFrame(raw: string, opts: ParseFrameOptions): Command {
  if (typeof raw !== 'string') throw new ProtocolError('BAD_FRAME', 'a frame must be text');
  if (raw.trim() === '') throw new ProtocolError('BAD_FRAME', 'empty frame');

  const json = tryParseJson(raw);
  if (json.kind === 'value') {
    if (!isRecord(json.value)) throw new ProtocolError('BAD_FRAME', 'a JSON frame must be an object with an "action"');
    return parseJsonCommand(json.value, opts);
  }
  if (json.kind === 'too-deep') throw new ProtocolError('BAD_FRAME', 'frame is nested too deeply');
  // No controller name starts with `{` or `[`, so this was meant as JSON: say so, rather than
  // complaining about a "controller" named `{"action":"publish"`.
  const first = raw.trimStart()[0];
  if (first === '{' || first === '[') throw new ProtocolError('BAD_FRAME', 'frame is not valid JSON');
  return parseTextFrame(stripLineEnd(raw), opts);
}

// ---------------------------------------------------------------------------
// JSON frames (PROTOCOL §2)
// ---------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function parseJsonCommand(frame: JsonObject, opts: ParseFrameOptions): Command {
  const action = field(frame, 'action');
  const id = field(frame, 'id');
  const echoedAction = typeof action === 'string' && action.length <= MAX_ECHOED_ACTION ? action : undefined;
  const echoedId = isValidMessageId(id) ? id : undefined;
  try {
    return jsonCommand(frame, action, opts);
  } catch (error) {
    if (error instanceof ProtocolError) throw error.about(echoedAction, echoedId);
    throw error;
  }
}

function jsonCommand(frame: JsonObject, action: unknown, opts: ParseFrameOptions): Command {
  if (action === undefined) throw badRequest('action is required');
  if (typeof action !== 'string') throw badRequest('action must be a string');
  // Unknown fields are ignored (forward compatibility); known fields are type-checked strictly.
  switch (action) {
    case 'publish':
      return jsonPublish(frame, opts);
    case 'msgack':
      return { action, ids: jsonAckIds(frame) };
    case 'pubrec':
    case 'pubrel':
      return { action, id: requireId(field(frame, 'id')) };
    case 'subscribe':
      return {
        action,
        controller: requireController(field(frame, 'controller'), 'subscribe'),
        topic: requireFilter(field(frame, 'topic')),
        qos: optionalQos(field(frame, 'qos')),
      };
    case 'unsubscribe':
      return {
        action,
        controller: requireController(field(frame, 'controller'), 'subscribe'),
        topic: requireFilter(field(frame, 'topic')),
      };
    case 'resume':
    case 'ping':
    case 'disconnect':
      return { action };
    case 'will':
      return jsonWill(frame, opts);
    case 'history':
      return parseHistory(frame);
    default:
      throw new ProtocolError('UNKNOWN_ACTION', `unknown action; expected one of ${ACTIONS.join(', ')}`);
  }
}

function jsonPublish(frame: JsonObject, opts: ParseFrameOptions): Command {
  if (Object.hasOwn(frame, 'messages')) return jsonBatchPublish(frame, opts);
  const controller = requireController(field(frame, 'controller'), 'publish');
  const topic = requirePublishTopic(field(frame, 'topic'));
  const qos = optionalQos(field(frame, 'qos'));
  const id = field(frame, 'id');
  if (qos !== 0 && id === undefined) throw badRequest('id is required for qos 1 and 2');
  if (id !== undefined && !isValidMessageId(id)) throw badRequest(`id must be ${MESSAGE_ID_RULE}`);
  const retain = optionalBoolean(field(frame, 'retain'), 'retain');
  const dup = optionalBoolean(field(frame, 'dup'), 'dup');
  // An absent `data` is null, so every message frame carries a `data` (PROTOCOL §3).
  const data = Object.hasOwn(frame, 'data') ? frame.data : null;
  checkDataSize(data, opts.maxDataBytes);
  const expiry = optionalExpiry(field(frame, 'expiry'), opts.maxExpirySeconds ?? Math.floor(DEFAULT_POLICY.messageTtlMs / 1000));
  return {
    action: 'publish',
    controller,
    topic,
    data,
    qos,
    // A QoS 0 publish has no id (PROTOCOL §2); one given anyway is checked, then not used.
    ...(qos !== 0 ? { id: id as string } : {}),
    retain,
    dup,
    // On the message, not the frame: a batched publish (issue 16) carries one per message.
    ...(expiry !== undefined ? { expiry } : {}),
  };
}

/** The fields of a single publish a batch carries per message, so they cannot also stand at its top. */
const PER_MESSAGE_FIELDS = ['controller', 'topic', 'data', 'retain', 'expiry'] as const;

/**
 * PROTOCOL §2 batched publish: 1-{@link MAX_BATCH_MESSAGES} `messages`, one `id` and one QoS for
 * all. Each message is validated as a single publish's fields; the first bad one refuses the
 * whole batch, its error naming the index (`messages[3]: topic ...`), code kept (TOO_LARGE).
 */
function jsonBatchPublish(frame: JsonObject, opts: ParseFrameOptions): Command {
  const mixed = PER_MESSAGE_FIELDS.find((name) => Object.hasOwn(frame, name));
  if (mixed !== undefined) throw badRequest(`a batched publish carries ${mixed} in each of its messages, not beside them`);
  const messages = frame.messages;
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_BATCH_MESSAGES) {
    throw badRequest(`messages must be a non-empty array of at most ${MAX_BATCH_MESSAGES} messages`);
  }
  const qos = optionalQos(field(frame, 'qos'));
  const id = field(frame, 'id');
  if (qos !== 0 && id === undefined) throw badRequest('id is required for qos 1 and 2');
  if (id !== undefined && !isValidMessageId(id)) throw badRequest(`id must be ${MESSAGE_ID_RULE}`);
  const dup = optionalBoolean(field(frame, 'dup'), 'dup');
  // The whole batch's data within one publish's limit (PROTOCOL §7: that limit is what keeps a
  // publish inside API Gateway's 32 KB frame), refused at the message that goes over it.
  let batchBytes = 0;
  const checked = messages.map((message: unknown, index) => {
    try {
      const { checked: one, dataBytes } = jsonBatchMessage(message, opts);
      batchBytes += dataBytes;
      if (batchBytes > opts.maxDataBytes) {
        throw badRequest(`the batch's data comes to ${batchBytes} bytes serialized with this message; a batch carries at most ${opts.maxDataBytes} in all (one publish's limit, which keeps its frame under API Gateway's 32 KB)`);
      }
      return one;
    } catch (error) {
      if (error instanceof ProtocolError) throw new ProtocolError(error.code, `messages[${index}]: ${error.message}`);
      throw error;
    }
  });
  return { action: 'publish', messages: checked, qos, ...(qos !== 0 ? { id: id as string } : {}), dup };
}

/** One message of a batch: the checks of {@link jsonPublish}, in its order. */
function jsonBatchMessage(message: unknown, opts: ParseFrameOptions): { checked: PublishMessage; dataBytes: number } {
  if (!isRecord(message)) throw badRequest('a message must be an object with controller, topic and data');
  const controller = requireController(field(message, 'controller'), 'publish');
  const topic = requirePublishTopic(field(message, 'topic'));
  const retain = optionalBoolean(field(message, 'retain'), 'retain');
  const data = Object.hasOwn(message, 'data') ? message.data : null;
  const dataBytes = checkDataSize(data, opts.maxDataBytes);
  const expiry = optionalExpiry(field(message, 'expiry'), opts.maxExpirySeconds ?? Math.floor(DEFAULT_POLICY.messageTtlMs / 1000));
  return { checked: { controller, topic, data, retain, ...(expiry !== undefined ? { expiry } : {}) }, dataBytes };
}

/**
 * PROTOCOL §2 `will`, §9: validated as a publish of it would be (controller, topic, qos, retain,
 * data size); no `id`, as nobody acks a will. No topic clears the will; a controller without a
 * topic is refused, so a typo does not silently clear it.
 */
function jsonWill(frame: JsonObject, opts: ParseFrameOptions): Command {
  const topicField = field(frame, 'topic');
  if (topicField === undefined) {
    if (field(frame, 'controller') !== undefined) throw badRequest('a will needs a topic; send {"action":"will"} alone to clear it');
    return { action: 'will' };
  }
  const controller = requireController(field(frame, 'controller'), 'publish');
  const topic = requirePublishTopic(topicField);
  const qos = optionalQos(field(frame, 'qos'));
  const retain = optionalBoolean(field(frame, 'retain'), 'retain');
  const data = Object.hasOwn(frame, 'data') ? frame.data : null;
  checkDataSize(data, opts.maxDataBytes);
  const will: Will = { controller, topic, data, qos, retain };
  return { action: 'will', will };
}

/** `msgack` takes `id` or `ids` (PROTOCOL §2), not both: a frame with both is a client bug. */
function jsonAckIds(frame: JsonObject): string[] {
  const hasId = Object.hasOwn(frame, 'id');
  const hasIds = Object.hasOwn(frame, 'ids');
  if (hasId && hasIds) throw badRequest('msgack takes id or ids, not both');
  if (hasId) return [requireId(frame.id)];
  if (!hasIds) throw badRequest('id or ids is required');
  const ids = frame.ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_ACK_IDS) {
    throw badRequest(`ids must be a non-empty array of at most ${MAX_ACK_IDS} ids`);
  }
  const unique = new Set<string>();
  ids.forEach((id: unknown, index) => {
    if (!isValidMessageId(id)) throw badRequest(`ids[${index}] must be ${MESSAGE_ID_RULE}`);
    unique.add(id);
  });
  return [...unique];
}

// ---------------------------------------------------------------------------
// Text frames (PROTOCOL §6): controller|topic|data, split on the first two `|` only
// ---------------------------------------------------------------------------

function parseTextFrame(line: string, opts: ParseFrameOptions): Command {
  const firstBar = line.indexOf('|');
  if (firstBar < 0) throw new ProtocolError('BAD_FRAME', 'frame is neither JSON nor a text frame controller|topic|data');
  const secondBar = line.indexOf('|', firstBar + 1);
  const controller = line.slice(0, firstBar);
  const topic = secondBar < 0 ? line.slice(firstBar + 1) : line.slice(firstBar + 1, secondBar);
  // Undefined when there is no second `|`; data itself may contain `|`.
  const rest = secondBar < 0 ? undefined : line.slice(secondBar + 1);

  switch (topic) {
    case 'msgack':
    case 'pubrec':
    case 'pubrel': {
      const id = rest !== undefined && isValidMessageId(rest) ? rest : undefined;
      return withContext(topic, id, () => {
        stepController(controller);
        const checked = requireId(present(rest));
        return topic === 'msgack' ? { action: topic, ids: [checked] } : { action: topic, id: checked };
      });
    }
    case 'subscribe':
      return withContext(topic, undefined, () => textSubscribe(controller, rest));
    case 'unsubscribe':
      return withContext(topic, undefined, () => ({
        action: topic,
        controller: requireController(present(controller), 'subscribe'),
        topic: requireFilter(present(rest)),
      }));
    case 'resume':
    case 'ping':
      // Whatever follows is ignored: `monitor|ping`, `monitor|ping|` and `|ping|x` all ping.
      return withContext(topic, undefined, () => {
        stepController(controller);
        return { action: topic };
      });
    default:
      return withContext('publish', undefined, () => textPublish(controller, topic, rest, opts));
  }
}

function textPublish(controller: string, topic: string, rest: string | undefined, opts: ParseFrameOptions): Command {
  if (rest === undefined) throw new ProtocolError('BAD_FRAME', 'a text frame is controller|topic|data');
  const checkedController = requireController(present(controller), 'publish');
  const checkedTopic = requirePublishTopic(present(topic));
  const data = textData(rest);
  checkDataSize(data, opts.maxDataBytes);
  return { action: 'publish', controller: checkedController, topic: checkedTopic, data, qos: 0, retain: false, dup: false };
}

/** `controller|subscribe|topic` asks for {@link TEXT_SUBSCRIBE_QOS}; `controller|subscribe|topic|1` for 1. */
function textSubscribe(controller: string, rest: string | undefined): Command {
  const checkedController = requireController(present(controller), 'subscribe');
  const bar = rest === undefined ? -1 : rest.indexOf('|');
  const topic = rest === undefined || bar < 0 ? rest : rest.slice(0, bar);
  const qosText = rest === undefined || bar < 0 ? undefined : rest.slice(bar + 1);
  const checkedTopic = requireFilter(present(topic));
  let qos = TEXT_SUBSCRIBE_QOS;
  if (qosText !== undefined) {
    if (qosText !== '0' && qosText !== '1' && qosText !== '2') throw badRequest('qos must be 0, 1 or 2');
    qos = Number(qosText) as Qos;
  }
  return { action: 'subscribe', controller: checkedController, topic: checkedTopic, qos };
}

/**
 * The controller of a text QoS step, resume or ping is not used (ids are per session), so it
 * may be empty (`|msgack|m1`); given, it must still be a name, so a typo is not silently accepted.
 */
function stepController(controller: string): void {
  if (controller !== '' && !isValidName(controller)) throw badRequest(`controller must be ${NAME_RULE}`);
}

/** PROTOCOL §6: text data is parsed as JSON where it parses, else kept as the string. */
function textData(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    // 1e999 "parses" to Infinity, which JSON cannot carry on: keep what the person typed.
    return typeof value === 'number' && !Number.isFinite(value) ? text : value;
  } catch {
    return text;
  }
}

/** An empty text field is a missing one, so `sensor||25` says "topic is required". */
function present(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}

function withContext(action: Action, id: string | undefined, build: () => Command): Command {
  try {
    return build();
  } catch (error) {
    if (error instanceof ProtocolError) throw error.about(action, id);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Field checks, shared by both forms
// ---------------------------------------------------------------------------

/** Own properties only: a polluted Object.prototype must not supply a missing field. */
function field(frame: JsonObject, name: string): unknown {
  return Object.hasOwn(frame, name) ? frame[name] : undefined;
}

function requireName(value: unknown, name: 'controller' | 'topic'): string {
  if (value === undefined) throw badRequest(`${name} is required`);
  if (!isValidName(value)) throw badRequest(`${name} must be ${NAME_RULE}`);
  return value;
}

/**
 * PROTOCOL §9: controller names starting with `$` are the server's. `$presence` may be
 * subscribed to (who is online); nobody but the server publishes on it, or any other `$` name.
 */
function requireController(value: unknown, use: 'publish' | 'subscribe'): string {
  if (typeof value === 'string' && value.startsWith('$')) {
    if (value === PRESENCE_CONTROLLER && use === 'subscribe') return value;
    if (value === PRESENCE_CONTROLLER) throw badRequest(`controller ${PRESENCE_CONTROLLER} is reserved: only the server publishes presence (PROTOCOL §9)`);
    throw badRequest(`controller names starting with $ are reserved for the server (PROTOCOL §9); only ${PRESENCE_CONTROLLER} can be subscribed to`);
  }
  return requireName(value, 'controller');
}

/** PROTOCOL §7: the QoS-step topics cannot carry messages or subscriptions. */
function requireTopic(value: unknown): string {
  const topic = requireName(value, 'topic');
  if (isReservedTopic(topic)) throw badRequest(`topic ${topic} is reserved`);
  return topic;
}

/** PROTOCOL §8: a publish names one concrete topic; wildcards are for subscriptions only. */
function requirePublishTopic(value: unknown): string {
  if (typeof value === 'string' && isFilter(value)) {
    throw badRequest('topic of a publish cannot hold the wildcards + or # (PROTOCOL §8: only subscriptions take filters)');
  }
  return requireTopic(value);
}

/** PROTOCOL §8: a subscribe or unsubscribe topic may be a filter; a bad one is refused naming the rule. */
function requireFilter(value: unknown): string {
  if (typeof value !== 'string' || !isFilter(value)) return requireTopic(value);
  const problem = filterProblem(value);
  if (problem !== undefined) throw badRequest(problem);
  return value;
}

function requireId(value: unknown): string {
  if (value === undefined) throw badRequest('id is required');
  if (!isValidMessageId(value)) throw badRequest(`id must be ${MESSAGE_ID_RULE}`);
  return value;
}

/** Absent is 0 (PROTOCOL §1 "absent = 0", applied to frames too); only the numbers 0, 1, 2. */
function optionalQos(value: unknown): Qos {
  if (value === undefined) return 0;
  if (!isQos(value)) throw badRequest('qos must be 0, 1 or 2');
  return value;
}

function optionalBoolean(value: unknown, name: 'retain' | 'dup'): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw badRequest(`${name} must be true or false`);
  return value;
}

/** PROTOCOL §4 per-message expiry: whole seconds, 1 to the message TTL; absent: none. */
function optionalExpiry(value: unknown, maxSeconds: number): number | undefined {
  if (value === undefined) return undefined;
  if (!isValidExpiry(value, maxSeconds)) throw badRequest(expiryRule(maxSeconds));
  return value;
}

/** A number JSON parses but cannot write back (`1e999` is Infinity; it would be stored as null). */
const NOT_FINITE = new ProtocolError('BAD_REQUEST', 'data holds a number too large for JSON (such as 1e999)');

/**
 * PROTOCOL §7: `data` serialized as JSON may take at most `maxDataBytes` UTF-8 bytes. The same
 * pass refuses numbers that would not survive the trip (they would silently become null).
 * Returns the serialized size.
 */
function checkDataSize(data: unknown, maxDataBytes: number): number {
  let serialized: string | undefined;
  try {
    serialized = JSON.stringify(data, (_key, value: unknown) => {
      if (typeof value === 'number' && !Number.isFinite(value)) throw NOT_FINITE;
      return value;
    });
  } catch (error) {
    if (error === NOT_FINITE) throw new ProtocolError(NOT_FINITE.code, NOT_FINITE.message);
    // Only nesting deep enough to exhaust the stack gets here: parsed JSON always serializes.
    throw new ProtocolError('BAD_FRAME', 'frame is nested too deeply');
  }
  const bytes = serialized === undefined ? 0 : utf8ByteLength(serialized);
  if (bytes > maxDataBytes) {
    throw new ProtocolError('TOO_LARGE', `data is ${bytes} bytes serialized; the limit is ${maxDataBytes}`);
  }
  return bytes;
}

function badRequest(message: string): ProtocolError {
  return new ProtocolError('BAD_REQUEST', message);
}

// ---------------------------------------------------------------------------
// Reading the raw frame
// ---------------------------------------------------------------------------

type JsonResult = { kind: 'value'; value: unknown } | { kind: 'not-json' } | { kind: 'too-deep' };

function tryParseJson(raw: string): JsonResult {
  try {
    return { kind: 'value', value: JSON.parse(raw) as unknown };
  } catch (error) {
    // V8 throws RangeError (stack exhausted) on extreme nesting, SyntaxError on anything else.
    return error instanceof RangeError ? { kind: 'too-deep' } : { kind: 'not-json' };
  }
}

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Terminals end a line with CR LF (Putty) or LF; none of it belongs to the frame. A loop, not
 * `/[\r\n]+$/`, whose backtracking is quadratic on a long run of line ends inside the frame.
 */
function stripLineEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === '\n' || line[end - 1] === '\r')) end -= 1;
  return line.slice(0, end);
}
