import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import { encodeFrame, SERVER_CONTROLLER } from '../../../lambdas/core/frames/encode-frame.js';
import { parseFrame } from '../../../lambdas/core/frames/parse-frame.js';
import type { ServerFrame } from '../../../lambdas/core/types.js';

type Message = Extract<ServerFrame, { type: 'message' }>;

const message = (fields: Partial<Message> = {}): Message => ({
  type: 'message',
  controller: 'monitor',
  topic: 'temp',
  data: 25.3,
  qos: 1,
  id: 'm1',
  dup: false,
  ...fields,
});

describe('encodeFrame: JSON (PROTOCOL §3)', () => {
  const encode = (frame: ServerFrame) => encodeFrame(frame, 'json');

  it('writes the message example of §3 exactly', () => {
    expect(encode(message())).toBe('{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":1,"id":"m1","dup":false}');
  });

  it('writes no id at QoS 0, even when one is given', () => {
    expect(encode(message({ qos: 0, id: undefined }))).toBe('{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":0,"dup":false}');
    expect(encode(message({ qos: 0, id: 'm9' }))).toBe('{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":0,"dup":false}');
  });

  it('always writes dup; true only on a QoS 1/2 resend ([MQTT-3.3.1-2])', () => {
    expect(encode(message({ qos: 2, id: 'm2', dup: true }))).toBe('{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":2,"id":"m2","dup":true}');
    expect(JSON.parse(encode(message({ qos: 0, id: undefined, dup: true })))).toMatchObject({ dup: false });
  });

  it('writes retained only when true', () => {
    expect(encode(message({ retained: true }))).toBe(
      '{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":1,"id":"m1","dup":false,"retained":true}',
    );
    expect(encode(message({ retained: false }))).not.toContain('retained');
  });

  it('writes undefined data as null, so data is always there', () => {
    expect(JSON.parse(encode(message({ data: undefined })))).toEqual({ type: 'message', controller: 'monitor', topic: 'temp', data: null, qos: 1, id: 'm1', dup: false });
  });

  it('refuses a QoS 1/2 message without an id (it could never be acknowledged)', () => {
    expect(() => encode(message({ id: undefined }))).toThrow('a qos 1 message needs an id (monitor/temp)');
    expect(() => encode(message({ qos: 2, id: '' }))).toThrow('a qos 2 message needs an id');
  });

  it('writes unicode as UTF-8 text, not escapes', () => {
    expect(encode(message({ data: 'Grüße 😀' }))).toContain('"data":"Grüße 😀"');
  });

  it('writes the QoS steps without controller, as §3 shows them', () => {
    expect(encode({ type: 'pubrel', id: 'm1' })).toBe('{"type":"pubrel","id":"m1"}');
    expect(encode({ type: 'msgack', id: 'c-1', controller: 'sensor' })).toBe('{"type":"msgack","id":"c-1"}');
    expect(encode({ type: 'pubrec', id: 'c-1' })).toBe('{"type":"pubrec","id":"c-1"}');
  });

  it('writes a msgack’s optional recipients count, 0 included, after the id', () => {
    expect(encode({ type: 'msgack', id: 'c-1', controller: 'sensor', recipients: 0 })).toBe('{"type":"msgack","id":"c-1","recipients":0}');
    expect(encode({ type: 'msgack', id: 'c-1', recipients: 12 })).toBe('{"type":"msgack","id":"c-1","recipients":12}');
  });

  it('writes suback, unsuback and pong', () => {
    expect(encode({ type: 'suback', controller: 'monitor', topic: 'temp', qos: 1 })).toBe('{"type":"suback","controller":"monitor","topic":"temp","qos":1}');
    expect(encode({ type: 'unsuback', controller: 'monitor', topic: 'temp' })).toBe('{"type":"unsuback","controller":"monitor","topic":"temp"}');
    expect(encode({ type: 'pong' })).toBe('{"type":"pong"}');
  });

  it('writes the error example of §3 exactly, and without action and id when unknown', () => {
    expect(encode({ type: 'error', code: 'BAD_REQUEST', message: 'qos must be 0, 1 or 2', action: 'publish', id: 'c-1' })).toBe(
      '{"type":"error","code":"BAD_REQUEST","message":"qos must be 0, 1 or 2","action":"publish","id":"c-1"}',
    );
    expect(encode(new ProtocolError('BAD_FRAME', 'empty frame').toFrame())).toBe('{"type":"error","code":"BAD_FRAME","message":"empty frame"}');
  });

  it('writes only the fields §3 names, whatever else an object carries', () => {
    const extra = { ...message(), sessionId: 's-1', attempts: 3 } as Message;
    expect(Object.keys(JSON.parse(encode(extra)))).toEqual(['type', 'controller', 'topic', 'data', 'qos', 'id', 'dup']);
  });

  it('round-trips: a client reading the JSON gets the frame back', () => {
    const frames: ServerFrame[] = [
      message(),
      message({ qos: 2, id: 'm2', dup: true, retained: true, data: { t: [1, 2], s: 'é|x' } }),
      { type: 'message', controller: 'a', topic: 'b', data: 'x', qos: 0, dup: false },
      { type: 'pubrel', id: 'm1' },
      { type: 'pubrec', id: 'c-1' },
      { type: 'msgack', id: 'c-1' },
      { type: 'suback', controller: 'monitor', topic: 'temp', qos: 2 },
      { type: 'unsuback', controller: 'monitor', topic: 'temp' },
      { type: 'pong' },
      { type: 'error', code: 'TOO_LARGE', message: 'data is 9 bytes serialized; the limit is 8', action: 'publish', id: 'c-2' },
    ];
    for (const frame of frames) expect(JSON.parse(encode(frame))).toEqual(frame);
  });
});

describe('encodeFrame: text (PROTOCOL §6)', () => {
  const encode = (frame: ServerFrame) => encodeFrame(frame, 'text');

  it('writes controller|topic|data at QoS 0 and controller|topic|data|qos|id at QoS 1 and 2', () => {
    expect(encode(message({ qos: 0, id: undefined }))).toBe('monitor|temp|25.3');
    expect(encode(message())).toBe('monitor|temp|25.3|1|m1');
    expect(encode(message({ qos: 2, id: 'm7' }))).toBe('monitor|temp|25.3|2|m7');
  });

  it('writes strings raw and everything else as JSON', () => {
    expect(encode(message({ qos: 0, data: 'hello world' }))).toBe('monitor|temp|hello world');
    expect(encode(message({ qos: 0, data: { t: 25.3, unit: 'C' } }))).toBe('monitor|temp|{"t":25.3,"unit":"C"}');
    expect(encode(message({ qos: 0, data: [1, 'a'] }))).toBe('monitor|temp|[1,"a"]');
    expect(encode(message({ qos: 0, data: null }))).toBe('monitor|temp|null');
    expect(encode(message({ qos: 0, data: undefined }))).toBe('monitor|temp|null');
    expect(encode(message({ qos: 0, data: true }))).toBe('monitor|temp|true');
    expect(encode(message({ qos: 0, data: '' }))).toBe('monitor|temp|');
    expect(encode(message({ qos: 1, data: 'Grüße 😀' }))).toBe('monitor|temp|Grüße 😀|1|m1');
  });

  it('shows neither dup nor retained: a resend is the same line again', () => {
    expect(encode(message({ dup: true }))).toBe(encode(message()));
    expect(encode(message({ retained: true }))).toBe('monitor|temp|25.3|1|m1');
  });

  it('writes the QoS steps with their controller, or the server controller', () => {
    expect(encode({ type: 'pubrel', id: 'm1', controller: 'monitor' })).toBe('monitor|pubrel|m1');
    expect(encode({ type: 'pubrec', id: 'c-1', controller: 'sensor' })).toBe('sensor|pubrec|c-1');
    expect(encode({ type: 'msgack', id: 'c-1', controller: 'sensor' })).toBe('sensor|msgack|c-1');
    // The recipients count is JSON-only: the line keeps §6's three fields.
    expect(encode({ type: 'msgack', id: 'c-1', controller: 'sensor', recipients: 3 })).toBe('sensor|msgack|c-1');
    expect(encode({ type: 'pubrel', id: 'm1' })).toBe(`${SERVER_CONTROLLER}|pubrel|m1`);
    expect(SERVER_CONTROLLER).toBe('qosgate');
  });

  it('writes suback, unsuback, pong and errors', () => {
    expect(encode({ type: 'suback', controller: 'monitor', topic: 'temp', qos: 1 })).toBe('monitor|suback|temp|1');
    expect(encode({ type: 'unsuback', controller: 'monitor', topic: 'temp' })).toBe('monitor|unsuback|temp');
    expect(encode({ type: 'pong' })).toBe('qosgate|pong|');
    expect(encode({ type: 'error', code: 'BAD_REQUEST', message: 'qos must be 0, 1 or 2', action: 'publish', id: 'c-1' })).toBe(
      'error|BAD_REQUEST|qos must be 0, 1 or 2',
    );
  });

  it('still refuses a QoS 1/2 message without an id', () => {
    expect(() => encode(message({ id: undefined }))).toThrow('needs an id');
  });

  /** What a text client does with a line: controller and topic from the left, qos and id from the right. */
  function readMessageLine(line: string, qos: 0 | 1 | 2) {
    const [controller, topic] = line.split('|', 2) as [string, string];
    let rest = line.slice(controller.length + topic.length + 2);
    if (qos === 0) return { controller, topic, data: rest };
    const idBar = rest.lastIndexOf('|');
    const id = rest.slice(idBar + 1);
    rest = rest.slice(0, idBar);
    const qosBar = rest.lastIndexOf('|');
    return { controller, topic, data: rest.slice(0, qosBar), qos: Number(rest.slice(qosBar + 1)), id };
  }

  it('round-trips data containing | for a reader that takes qos and id from the right', () => {
    const line = encode(message({ qos: 2, id: 'm-3', data: 'a|b|2|x' }));
    expect(line).toBe('monitor|temp|a|b|2|x|2|m-3');
    expect(readMessageLine(line, 2)).toEqual({ controller: 'monitor', topic: 'temp', data: 'a|b|2|x', qos: 2, id: 'm-3' });
    expect(readMessageLine(encode(message({ qos: 0, data: 'x|y' })), 0)).toEqual({ controller: 'monitor', topic: 'temp', data: 'x|y' });
  });

  it('round-trips through parseFrame: a QoS 0 line relayed by a text client publishes the same data', () => {
    const opts = { maxDataBytes: 1024 };
    for (const data of [25.3, -1, true, null, { t: 25.3, s: 'é' }, [1, [2]], 'hello', 'a|b', 'Grüße 😀', '']) {
      const line = encode({ type: 'message', controller: 'sensor', topic: 'temp', data, qos: 0, dup: false });
      expect(parseFrame(line, opts)).toEqual({ action: 'publish', controller: 'sensor', topic: 'temp', data, qos: 0, retain: false, dup: false });
    }
  });

  it('round-trips the QoS steps: echoing a line with the step word changed answers it', () => {
    const opts = { maxDataBytes: 1024 };
    const pubrel = encode({ type: 'pubrel', id: 'm1', controller: 'monitor' });
    expect(parseFrame(pubrel.replace('|pubrel|', '|msgack|'), opts)).toEqual({ action: 'msgack', ids: ['m1'] });
    const anonymous = encode({ type: 'pubrel', id: 'm1' });
    expect(parseFrame(anonymous.replace('|pubrel|', '|msgack|'), opts)).toEqual({ action: 'msgack', ids: ['m1'] });
    const line = encode(message({ qos: 2, id: 'm5' }));
    const { controller, id } = readMessageLine(line, 2);
    expect(parseFrame(`${controller}|pubrec|${id}\r\n`, opts)).toEqual({ action: 'pubrec', id: 'm5' });
  });
});

describe('encodeFrame: format', () => {
  it('writes JSON for anything but text (a stored format from an older version, say)', () => {
    expect(encodeFrame({ type: 'pong' }, 'xml' as 'json')).toBe('{"type":"pong"}');
  });
});

describe('willack (PROTOCOL §2 will)', () => {
  it('is {"type":"willack"} in JSON and qosgate|willack| in text (a text connection may send JSON frames)', () => {
    expect(encodeFrame({ type: 'willack' }, 'json')).toBe('{"type":"willack"}');
    expect(encodeFrame({ type: 'willack' }, 'text')).toBe('qosgate|willack|');
  });
});
