import type { FrameFormat, ServerFrame } from '../types.js';

/**
 * Writes a server frame the way the client asked to read them (PROTOCOL §1 `format`).
 *
 * JSON (PROTOCOL §3): compact, keys in the order §3 shows them, only the fields §3 names.
 *
 * Text (PROTOCOL §6), one line per frame, no line end (a WebSocket frame is already a unit):
 *
 *   message qos 0      controller|topic|data
 *   message qos 1, 2   controller|topic|data|qos|id       (also on a resend: see below)
 *   pubrel             controller|pubrel|id
 *   pubrec             controller|pubrec|id
 *   msgack             controller|msgack|id
 *   suback             controller|suback|topic|qos
 *   unsuback           controller|unsuback|topic
 *   pong               qosgate|pong|
 *   willack            qosgate|willack|      (a text connection may send JSON frames, such as `will`)
 *   error              error|CODE|message
 *   history            controller|history|topic|more|next|items   (items: the JSON array; next empty when none)
 *
 * - `data` that is a string is written as it is, anything else as JSON, mirroring how a text
 *   frame's data is read (§6), so `sensor|temp|25.3` relayed reads `monitor|temp|25.3`.
 *   (A string "25.3" and the number 25.3 therefore look alike; JSON clients can tell them apart.)
 * - `data` may contain `|`: a reader takes controller and topic from the left and, for QoS 1
 *   and 2, qos and id from the right (server message ids never contain `|`).
 * - `dup`, `retained` and `expiry` (PROTOCOL §4) are not shown: a resend is the same line again, so the shape stays
 *   exactly §6's and a text client recognises a repeat by its id (QoS 2 hands it on once, §4).
 * - A QoS step with no controller, and pong, use {@link SERVER_CONTROLLER}, so every line keeps
 *   the `controller|topic|...` shape and a person can answer a step by echoing it with the
 *   step word changed (`qosgate|pubrel|m1` -> `qosgate|msgack|m1`).
 * - Error lines carry only code and message (§6 shape): `action` and `id` are JSON-only, as is
 *   the msgack's optional `recipients` count (a text line keeps §6's three fields).
 */
export function encodeFrame(frame: ServerFrame, format: FrameFormat): string {
  return format === 'text' ? encodeText(frame) : encodeJson(frame);
}

/** The controller field of text lines that belong to no controller (PROTOCOL §6 shape). */
export const SERVER_CONTROLLER = 'qosgate';

type MessageFrame = Extract<ServerFrame, { type: 'message' }>;

function encodeJson(frame: ServerFrame): string {
  switch (frame.type) {
    case 'message': {
      const id = messageId(frame);
      return JSON.stringify({
        type: 'message',
        controller: frame.controller,
        topic: frame.topic,
        data: frame.data === undefined ? null : frame.data,
        qos: frame.qos,
        ...(id !== undefined ? { id } : {}),
        dup: isDup(frame),
        ...(frame.retained === true ? { retained: true } : {}),
        // PROTOCOL §4: the seconds the message has left, where it has an expiry.
        ...(frame.expiry !== undefined ? { expiry: frame.expiry } : {}),
      });
    }
    case 'pubrel':
    case 'pubrec':
      // PROTOCOL §3 shows no controller on the QoS steps: the id alone names the message.
      return JSON.stringify({ type: frame.type, id: frame.id });
    case 'msgack':
      // `recipients` is optional (docs/protocol.md §3): clients that do not know it ignore it.
      return JSON.stringify({ type: 'msgack', id: frame.id, ...(frame.recipients !== undefined ? { recipients: frame.recipients } : {}) });
    case 'suback':
      return JSON.stringify({ type: 'suback', controller: frame.controller, topic: frame.topic, qos: frame.qos });
    case 'unsuback':
      return JSON.stringify({ type: 'unsuback', controller: frame.controller, topic: frame.topic });
    case 'pong':
      return JSON.stringify({ type: 'pong' });
    case 'willack':
      return JSON.stringify({ type: 'willack' });
    case 'history':
      // PROTOCOL §10; `next` and `id` only where they are (docs/protocol.md §10).
      return JSON.stringify({
        type: 'history',
        controller: frame.controller,
        topic: frame.topic,
        items: frame.items,
        more: frame.more,
        ...(frame.next !== undefined ? { next: frame.next } : {}),
        ...(frame.id !== undefined ? { id: frame.id } : {}),
      });
    case 'error':
      return JSON.stringify({
        type: 'error',
        code: frame.code,
        message: frame.message,
        ...(frame.action !== undefined ? { action: frame.action } : {}),
        ...(frame.id !== undefined ? { id: frame.id } : {}),
      });
    default:
      return unreachable(frame);
  }
}

function encodeText(frame: ServerFrame): string {
  switch (frame.type) {
    case 'message': {
      const id = messageId(frame);
      const line = `${frame.controller}|${frame.topic}|${textData(frame.data)}`;
      return id === undefined ? line : `${line}|${frame.qos}|${id}`;
    }
    case 'pubrel':
    case 'pubrec':
    case 'msgack':
      return `${frame.controller ?? SERVER_CONTROLLER}|${frame.type}|${frame.id}`;
    case 'suback':
      return `${frame.controller}|suback|${frame.topic}|${frame.qos}`;
    case 'unsuback':
      return `${frame.controller}|unsuback|${frame.topic}`;
    case 'pong':
      return `${SERVER_CONTROLLER}|pong|`;
    case 'willack':
      return `${SERVER_CONTROLLER}|willack|`;
    case 'error':
      return `error|${frame.code}|${frame.message}`;
    case 'history':
      // The items last: they may hold `|`; the fields before them never do.
      return `${frame.controller}|history|${frame.topic}|${frame.more}|${frame.next ?? ''}|${JSON.stringify(frame.items)}`;
    default:
      return unreachable(frame);
  }
}

/**
 * PROTOCOL §3: the id only where qos is 1 or 2, and there it is required; a QoS 1/2 message
 * without one could never be acknowledged, so that is a bug to surface, not to send.
 */
function messageId(frame: MessageFrame): string | undefined {
  if (frame.qos === 0) return undefined;
  if (typeof frame.id !== 'string' || frame.id === '') {
    throw new Error(`a qos ${frame.qos} message needs an id (${frame.controller}/${frame.topic})`);
  }
  return frame.id;
}

/** [MQTT-3.3.1-2]: the DUP flag is 0 on every QoS 0 message; only a QoS 1/2 resend is a dup. */
function isDup(frame: MessageFrame): boolean {
  return frame.qos !== 0 && frame.dup === true;
}

function textData(data: unknown): string {
  if (typeof data === 'string') return data;
  // undefined (and anything JSON cannot carry) is written as null, as the JSON form does.
  return JSON.stringify(data) ?? 'null';
}

function unreachable(frame: never): never {
  throw new Error(`unknown server frame ${JSON.stringify(frame)}`);
}
