import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import { ACTIONS, MAX_ACK_IDS, parseFrame } from '../../../lambdas/core/frames/parse-frame.js';
import { FRAME_ACTIONS } from '../../../lambdas/routes.js';

const LIMIT = { maxDataBytes: 64 * 1024 };

function parse(raw: string, opts = LIMIT) {
  return parseFrame(raw, opts);
}

function json(frame: object): string {
  return JSON.stringify(frame);
}

/** The ProtocolError a frame is refused with; fails the test when it is accepted. */
function refusal(raw: string, opts = LIMIT): ProtocolError {
  try {
    parseFrame(raw, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error(`frame was accepted: ${raw.slice(0, 80)}`);
}

/** The refusal as the error frame the client gets (PROTOCOL §3). */
function errorFrame(raw: string, opts = LIMIT) {
  return refusal(raw, opts).toFrame();
}

describe('parseFrame: JSON frames (PROTOCOL §2)', () => {
  describe('publish', () => {
    it('reads the example of §2', () => {
      expect(parse('{"action":"publish","controller":"sensor","topic":"temp","data":25.3,"qos":1,"id":"c-1"}')).toEqual({
        action: 'publish',
        controller: 'sensor',
        topic: 'temp',
        data: 25.3,
        qos: 1,
        id: 'c-1',
        retain: false,
        dup: false,
      });
    });

    it('defaults qos to 0, retain and dup to false, and has no id at QoS 0', () => {
      const cmd = parse(json({ action: 'publish', controller: 'sensor', topic: 'temp', data: 'x' }));
      expect(cmd).toEqual({ action: 'publish', controller: 'sensor', topic: 'temp', data: 'x', qos: 0, retain: false, dup: false });
      expect(cmd).not.toHaveProperty('id');
    });

    it('checks but drops an id given at QoS 0', () => {
      expect(parse(json({ action: 'publish', controller: 'a', topic: 'b', data: 1, id: 'c-1' }))).not.toHaveProperty('id');
      expect(errorFrame(json({ action: 'publish', controller: 'a', topic: 'b', data: 1, id: 7 }))).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'id must be a string of 1-64 characters',
        action: 'publish',
      });
    });

    it('reads qos 2, retain and dup', () => {
      expect(parse(json({ action: 'publish', controller: 'a', topic: 'b', data: { t: 1 }, qos: 2, id: 'x', retain: true, dup: true }))).toEqual({
        action: 'publish',
        controller: 'a',
        topic: 'b',
        data: { t: 1 },
        qos: 2,
        id: 'x',
        retain: true,
        dup: true,
      });
    });

    it('makes an absent data null and keeps every JSON value as data', () => {
      expect(parse(json({ action: 'publish', controller: 'a', topic: 'b' }))).toMatchObject({ data: null });
      for (const data of [null, 0, -1.5, '', 'text', true, false, [], [1, [2]], {}, { nested: { deep: ['x'] } }]) {
        expect(parse(json({ action: 'publish', controller: 'a', topic: 'b', data }))).toMatchObject({ data });
      }
    });

    it('keeps unicode data exactly', () => {
      const data = { text: 'Grüße 日本 😀', arrow: '→' };
      expect(parse(json({ action: 'publish', controller: 'a', topic: 'b', data }))).toMatchObject({ data });
    });

    it('ignores unknown fields', () => {
      expect(parse(json({ action: 'publish', controller: 'a', topic: 'b', data: 1, future: 'x', qos: 0 }))).toEqual({
        action: 'publish',
        controller: 'a',
        topic: 'b',
        data: 1,
        qos: 0,
        retain: false,
        dup: false,
      });
    });

    it.each([
      [{ controller: undefined }, 'controller is required'],
      [{ controller: '' }, 'controller must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ controller: 'a b' }, 'controller must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ controller: 7 }, 'controller must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ controller: 'x'.repeat(129) }, 'controller must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ topic: undefined }, 'topic is required'],
      [{ topic: 'a|b' }, 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ topic: null }, 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ topic: 'msgack' }, 'topic msgack is reserved'],
      [{ topic: 'ping' }, 'topic ping is reserved'],
      [{ qos: 3 }, 'qos must be 0, 1 or 2'],
      [{ qos: -1 }, 'qos must be 0, 1 or 2'],
      [{ qos: 1.5 }, 'qos must be 0, 1 or 2'],
      [{ qos: '1' }, 'qos must be 0, 1 or 2'],
      [{ qos: null }, 'qos must be 0, 1 or 2'],
      [{ qos: true }, 'qos must be 0, 1 or 2'],
      [{ retain: 'true' }, 'retain must be true or false'],
      [{ retain: 1 }, 'retain must be true or false'],
      [{ dup: null }, 'dup must be true or false'],
    ])('refuses %j: %s', (fields, message) => {
      const frame = { action: 'publish', controller: 'a', topic: 'b', data: 1, ...fields };
      expect(errorFrame(json(frame))).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action: 'publish' });
    });

    it('requires an id for qos 1 and 2', () => {
      for (const qos of [1, 2]) {
        expect(errorFrame(json({ action: 'publish', controller: 'a', topic: 'b', data: 1, qos }))).toEqual({
          type: 'error',
          code: 'BAD_REQUEST',
          message: 'id is required for qos 1 and 2',
          action: 'publish',
        });
      }
    });

    it.each([[''], ['x'.repeat(65)], [5], [null], ['a\nb']])('refuses the id %j', (id) => {
      expect(errorFrame(json({ action: 'publish', controller: 'a', topic: 'b', data: 1, qos: 1, id }))).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'id must be a string of 1-64 characters',
        action: 'publish',
      });
    });

    it('echoes a valid id in the error, so the client knows which publish failed', () => {
      expect(errorFrame(json({ action: 'publish', controller: 'a', topic: 'b', qos: 7, id: 'c-9' }))).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'qos must be 0, 1 or 2',
        action: 'publish',
        id: 'c-9',
      });
    });
  });

  describe('TOO_LARGE (PROTOCOL §7): data serialized as JSON, in UTF-8 bytes', () => {
    const opts = { maxDataBytes: 100 };
    const frame = (data: unknown) => json({ action: 'publish', controller: 'a', topic: 'b', data, qos: 1, id: 'big' });

    it('accepts data of exactly the limit and refuses one byte more', () => {
      // A string serializes with its two quotes: 98 characters take 100 bytes.
      expect(parse(frame('x'.repeat(98)), opts)).toMatchObject({ data: 'x'.repeat(98) });
      expect(errorFrame(frame('x'.repeat(99)), opts)).toEqual({
        type: 'error',
        code: 'TOO_LARGE',
        message: 'data is 101 bytes serialized; the limit is 100',
        action: 'publish',
        id: 'big',
      });
    });

    it('counts UTF-8 bytes, not characters', () => {
      // "é" is 2 bytes: 49 of them plus the quotes are exactly 100 bytes, 50 are 102.
      expect(parse(frame('é'.repeat(49)), opts)).toMatchObject({ qos: 1 });
      expect(refusal(frame('é'.repeat(50)), opts).code).toBe('TOO_LARGE');
      // "😀" is 4 bytes (and 2 UTF-16 units): 24 of them are 98 bytes with the quotes.
      expect(parse(frame('😀'.repeat(24)), opts)).toMatchObject({ qos: 1 });
      expect(refusal(frame('😀'.repeat(25)), opts).message).toBe('data is 102 bytes serialized; the limit is 100');
    });

    it('counts the compact serialization, whatever spacing the client used', () => {
      const spaced = `{ "action" : "publish", "controller":"a", "topic":"b", "data" : [ 1 , 2 , 3 ] }`;
      expect(parse(spaced, { maxDataBytes: 7 })).toMatchObject({ data: [1, 2, 3] });
      expect(refusal(spaced, { maxDataBytes: 6 }).message).toBe('data is 7 bytes serialized; the limit is 6');
    });

    it('applies to text frames too', () => {
      expect(parse(`a|b|${'x'.repeat(98)}`, opts)).toMatchObject({ data: 'x'.repeat(98) });
      expect(errorFrame(`a|b|${'x'.repeat(99)}`, opts)).toEqual({
        type: 'error',
        code: 'TOO_LARGE',
        message: 'data is 101 bytes serialized; the limit is 100',
        action: 'publish',
      });
    });

    it('counts an absent data as null (4 bytes)', () => {
      expect(parse(json({ action: 'publish', controller: 'a', topic: 'b' }), { maxDataBytes: 4 })).toMatchObject({ data: null });
      expect(refusal(json({ action: 'publish', controller: 'a', topic: 'b' }), { maxDataBytes: 3 }).code).toBe('TOO_LARGE');
    });
  });

  describe('msgack', () => {
    it('takes one id', () => {
      expect(parse('{"action":"msgack","id":"m1"}')).toEqual({ action: 'msgack', ids: ['m1'] });
    });

    it('takes ids, deduplicated in order', () => {
      expect(parse('{"action":"msgack","ids":["m1","m2"]}')).toEqual({ action: 'msgack', ids: ['m1', 'm2'] });
      expect(parse(json({ action: 'msgack', ids: ['m2', 'm1', 'm2', 'm3', 'm1'] }))).toEqual({ action: 'msgack', ids: ['m2', 'm1', 'm3'] });
    });

    it(`takes up to ${MAX_ACK_IDS} ids`, () => {
      const ids = Array.from({ length: MAX_ACK_IDS }, (_, i) => `m${i}`);
      expect(parse(json({ action: 'msgack', ids }))).toEqual({ action: 'msgack', ids });
      expect(errorFrame(json({ action: 'msgack', ids: [...ids, 'one-more'] }))).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'ids must be a non-empty array of at most 100 ids',
        action: 'msgack',
      });
    });

    it.each([
      [{}, 'id or ids is required'],
      [{ id: 'm1', ids: ['m2'] }, 'msgack takes id or ids, not both'],
      [{ id: '' }, 'id must be a string of 1-64 characters'],
      [{ id: 1 }, 'id must be a string of 1-64 characters'],
      [{ id: null }, 'id must be a string of 1-64 characters'],
      [{ id: ['m1'] }, 'id must be a string of 1-64 characters'],
      [{ ids: [] }, 'ids must be a non-empty array of at most 100 ids'],
      [{ ids: 'm1' }, 'ids must be a non-empty array of at most 100 ids'],
      [{ ids: { 0: 'm1' } }, 'ids must be a non-empty array of at most 100 ids'],
      [{ ids: ['m1', 2] }, 'ids[1] must be a string of 1-64 characters'],
      [{ ids: ['m1', 'x'.repeat(65)] }, 'ids[1] must be a string of 1-64 characters'],
      [{ ids: [null] }, 'ids[0] must be a string of 1-64 characters'],
    ])('refuses %j: %s', (fields, message) => {
      expect(errorFrame(json({ action: 'msgack', ...fields }))).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message, action: 'msgack' });
    });
  });

  describe.each(['pubrec', 'pubrel'] as const)('%s', (action) => {
    it('takes an id', () => {
      expect(parse(json({ action, id: 'c-1' }))).toEqual({ action, id: 'c-1' });
    });

    it.each([
      [{}, 'id is required'],
      [{ id: '' }, 'id must be a string of 1-64 characters'],
      [{ id: 42 }, 'id must be a string of 1-64 characters'],
      [{ id: 'x'.repeat(65) }, 'id must be a string of 1-64 characters'],
    ])('refuses %j: %s', (fields, message) => {
      expect(errorFrame(json({ action, ...fields }))).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action });
    });

    it('does not take ids', () => {
      expect(refusal(json({ action, ids: ['m1'] })).message).toBe('id is required');
    });
  });

  describe('subscribe and unsubscribe', () => {
    it('reads the examples of §2', () => {
      expect(parse('{"action":"subscribe","controller":"monitor","topic":"temp","qos":1}')).toEqual({
        action: 'subscribe',
        controller: 'monitor',
        topic: 'temp',
        qos: 1,
      });
      expect(parse('{"action":"unsubscribe","controller":"monitor","topic":"temp"}')).toEqual({
        action: 'unsubscribe',
        controller: 'monitor',
        topic: 'temp',
      });
    });

    it('defaults a subscription qos to 0', () => {
      expect(parse(json({ action: 'subscribe', controller: 'monitor', topic: 'temp' }))).toMatchObject({ qos: 0 });
    });

    it.each([
      ['subscribe', { topic: 'temp', qos: '2' }, 'qos must be 0, 1 or 2'],
      ['subscribe', { topic: 'temp', qos: 4 }, 'qos must be 0, 1 or 2'],
      ['subscribe', { topic: 'temp', controller: undefined }, 'controller is required'],
      ['subscribe', { topic: undefined }, 'topic is required'],
      ['subscribe', { topic: 'a b' }, 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
      ['subscribe', { topic: 'pubrel' }, 'topic pubrel is reserved'],
      ['unsubscribe', { topic: 'subscribe' }, 'topic subscribe is reserved'],
      ['unsubscribe', { topic: 'temp', controller: 1 }, 'controller must be 1-128 characters of A-Za-z0-9._:/-'],
      ['unsubscribe', {}, 'topic is required'],
    ])('%s refuses %j: %s', (action, fields, message) => {
      expect(errorFrame(json({ action, controller: 'monitor', ...fields }))).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action });
    });
  });

  describe('resume and ping', () => {
    it('take no fields and ignore any given', () => {
      expect(parse('{"action":"resume"}')).toEqual({ action: 'resume' });
      expect(parse('{"action":"ping"}')).toEqual({ action: 'ping' });
      expect(parse('{"action":"ping","id":"p1","extra":[1]}')).toEqual({ action: 'ping' });
    });
  });

  describe('action', () => {
    it('knows exactly the actions of §2, which are the route table frame actions', () => {
      expect([...ACTIONS].sort()).toEqual([...FRAME_ACTIONS].sort());
    });

    it('is required and must be a string', () => {
      expect(errorFrame('{}')).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'action is required' });
      expect(errorFrame('{"action":null}')).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'action must be a string' });
      expect(errorFrame('{"action":["ping"]}')).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'action must be a string' });
      expect(errorFrame('{"id":"c-1"}')).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'action is required', id: 'c-1' });
    });

    it.each(['hello', 'PUBLISH', 'Ping', 'connect', '$default', 'toString', 'constructor', '__proto__', 'hasOwnProperty', ''])(
      'refuses the unknown action %j with UNKNOWN_ACTION',
      (action) => {
        expect(errorFrame(json({ action, id: 'c-1' }))).toEqual({
          type: 'error',
          code: 'UNKNOWN_ACTION',
          message: 'unknown action; expected one of publish, msgack, pubrec, pubrel, subscribe, unsubscribe, resume, ping, will, disconnect, history',
          action,
          id: 'c-1',
        });
      },
    );

    it('does not echo a huge action or an invalid id back', () => {
      const error = errorFrame(json({ action: 'x'.repeat(1000), id: 'y'.repeat(100) }));
      expect(error).toEqual({
        type: 'error',
        code: 'UNKNOWN_ACTION',
        message: 'unknown action; expected one of publish, msgack, pubrec, pubrel, subscribe, unsubscribe, resume, ping, will, disconnect, history',
      });
    });
  });

  describe('__proto__ and prototype pollution', () => {
    it('never takes fields from a __proto__ key', () => {
      expect(errorFrame('{"__proto__":{"action":"ping"}}')).toEqual({ type: 'error', code: 'BAD_REQUEST', message: 'action is required' });
      expect(parse('{"action":"ping","__proto__":{"action":"publish"}}')).toEqual({ action: 'ping' });
      expect(refusal('{"action":"publish","__proto__":{"controller":"a","topic":"b"}}').message).toBe('controller is required');
    });

    it('keeps __proto__ inside data as plain own data, prototypes untouched', () => {
      const cmd = parse('{"action":"publish","controller":"a","topic":"b","data":{"__proto__":{"polluted":true},"x":1}}');
      expect(cmd.action).toBe('publish');
      const data = (cmd as { data: Record<string, unknown> }).data;
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      expect(Object.hasOwn(data, '__proto__')).toBe(true);
      expect((data as { polluted?: unknown }).polluted).toBeUndefined();
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(cmd)).toBe(Object.prototype);
    });

    it('ignores fields inherited from a polluted Object.prototype', () => {
      const proto = Object.prototype as Record<string, unknown>;
      proto.qos = 2;
      proto.id = 'evil';
      try {
        expect(parse(json({ action: 'publish', controller: 'a', topic: 'b', data: 1 }))).toMatchObject({ qos: 0 });
        expect(refusal('{"action":"pubrel"}').message).toBe('id is required');
      } finally {
        delete proto.qos;
        delete proto.id;
      }
    });

    it('keeps __proto__ in text frame data as own data too', () => {
      const cmd = parse('a|b|{"__proto__":{"polluted":true}}');
      const data = (cmd as { data: object }).data;
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      expect(Object.hasOwn(data, '__proto__')).toBe(true);
    });
  });
});

describe('parseFrame: BAD_FRAME', () => {
  it.each([
    ['an empty frame', '', 'empty frame'],
    ['only whitespace', '  \t ', 'empty frame'],
    ['only a line end', '\r\n', 'empty frame'],
    ['a JSON number', '25.3', 'a JSON frame must be an object with an "action"'],
    ['a JSON array', '[1]', 'a JSON frame must be an object with an "action"'],
    ['a JSON array of a frame', '[{"action":"ping"}]', 'a JSON frame must be an object with an "action"'],
    ['a JSON string', '"x"', 'a JSON frame must be an object with an "action"'],
    ['JSON null', 'null', 'a JSON frame must be an object with an "action"'],
    ['JSON true', 'true', 'a JSON frame must be an object with an "action"'],
    ['broken JSON', '{"action":"publish"', 'frame is not valid JSON'],
    ['broken JSON with a bar', '{"action":"publish","data":"a|b|c"', 'frame is not valid JSON'],
    ['broken JSON array', ' [1,', 'frame is not valid JSON'],
    ['JSON with single quotes', "{'action':'ping'}", 'frame is not valid JSON'],
    ['plain words', 'hello world', 'frame is neither JSON nor a text frame controller|topic|data'],
    ['a text frame without data', 'sensor|temp', 'a text frame is controller|topic|data'],
    ['a lone bar', '|', 'a text frame is controller|topic|data'],
  ])('refuses %s', (_label, raw, message) => {
    const error = refusal(raw);
    expect(error.code).toBe('BAD_FRAME');
    expect(error.message).toBe(message);
  });

  it('refuses a non-string frame', () => {
    expect(refusal(undefined as unknown as string).toFrame()).toEqual({ type: 'error', code: 'BAD_FRAME', message: 'a frame must be text' });
    expect(refusal(Buffer.from('{}') as unknown as string).code).toBe('BAD_FRAME');
  });

  it('survives extreme nesting without blowing the stack', () => {
    const depth = 200_000;
    const nested = '['.repeat(depth) + ']'.repeat(depth);
    expect(refusal(nested).code).toBe('BAD_FRAME');
    expect(refusal(`{"a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth + 1)}`).code).toBe('BAD_REQUEST');
    expect(errorFrame(json({ action: 'publish', controller: 'a', topic: 'b', id: 'c-1', qos: 1 }).replace('}', `,"data":${nested}}`))).toEqual({
      type: 'error',
      code: 'BAD_FRAME',
      message: 'frame is nested too deeply',
      action: 'publish',
      id: 'c-1',
    });
    expect(errorFrame(`a|b|${nested}`)).toEqual({ type: 'error', code: 'BAD_FRAME', message: 'frame is nested too deeply', action: 'publish' });
  });

  it('stays fast on long runs of line ends inside a frame', () => {
    const raw = `a|b|${'\r\n'.repeat(100_000)}x\r\n`;
    const started = performance.now();
    expect(parse(raw, { maxDataBytes: 1_000_000 })).toMatchObject({ data: `${'\r\n'.repeat(100_000)}x` });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parseFrame: text frames (PROTOCOL §6)', () => {
  describe('publish at QoS 0', () => {
    it('parses data as JSON where it parses', () => {
      expect(parse('sensor|temp|25.3')).toEqual({ action: 'publish', controller: 'sensor', topic: 'temp', data: 25.3, qos: 0, retain: false, dup: false });
      expect(parse('sensor|temp|{"t":25.3,"unit":"C"}')).toMatchObject({ data: { t: 25.3, unit: 'C' } });
      expect(parse('sensor|temp|[1,2]')).toMatchObject({ data: [1, 2] });
      expect(parse('sensor|temp|true')).toMatchObject({ data: true });
      expect(parse('sensor|temp|null')).toMatchObject({ data: null });
      expect(parse('sensor|temp|"quoted"')).toMatchObject({ data: 'quoted' });
    });

    it('keeps data that is not JSON as the string', () => {
      expect(parse('sensor|temp|hello world')).toMatchObject({ data: 'hello world' });
      expect(parse('sensor|temp|00123')).toMatchObject({ data: '00123' });
      expect(parse('sensor|temp|{broken')).toMatchObject({ data: '{broken' });
      expect(parse('sensor|temp|')).toMatchObject({ data: '' });
      expect(parse('sensor|temp|  ')).toMatchObject({ data: '  ' });
    });

    it('keeps a number JSON cannot carry (1e999) as typed', () => {
      expect(parse('sensor|temp|1e999')).toMatchObject({ data: '1e999' });
      expect(parse('sensor|temp|-1e999')).toMatchObject({ data: '-1e999' });
    });

    it('splits on the first two | only: data may contain |', () => {
      expect(parse('chat|line|a|b|c')).toMatchObject({ controller: 'chat', topic: 'line', data: 'a|b|c' });
      expect(parse('chat|line|{"text":"x|y"}')).toMatchObject({ data: { text: 'x|y' } });
      expect(parse('chat|line||')).toMatchObject({ data: '|' });
    });

    it('keeps unicode', () => {
      expect(parse('chat|line|Grüße 日本 😀')).toMatchObject({ data: 'Grüße 日本 😀' });
      expect(parse('chat|line|"\\u00e9"')).toMatchObject({ data: 'é' });
    });

    it('tolerates the line ends of a terminal, and keeps inner ones', () => {
      expect(parse('sensor|temp|25.3\r\n')).toMatchObject({ data: 25.3 });
      expect(parse('sensor|temp|25.3\n')).toMatchObject({ data: 25.3 });
      expect(parse('sensor|temp|hello\r')).toMatchObject({ data: 'hello' });
      expect(parse('sensor|temp|hello\r\n\r\n')).toMatchObject({ data: 'hello' });
      expect(parse('chat|line|two\nlines\n')).toMatchObject({ data: 'two\nlines' });
      expect(parse('chat|line|\r\n')).toMatchObject({ data: '' });
    });

    it('does not trim other whitespace', () => {
      expect(parse('chat|line| padded ')).toMatchObject({ data: ' padded ' });
      expect(refusal(' sensor|temp|1').message).toBe('controller must be 1-128 characters of A-Za-z0-9._:/-');
    });

    it.each([
      ['|temp|1', 'controller is required'],
      ['sen sor|temp|1', 'controller must be 1-128 characters of A-Za-z0-9._:/-'],
      ['sensor||1', 'topic is required'],
      ['sensor|te mp|1', 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
      ['||', 'controller is required'],
    ])('refuses %j: %s', (raw, message) => {
      expect(errorFrame(raw)).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action: 'publish' });
    });

    it('reads digits as names: 25|3|x publishes to controller 25', () => {
      expect(parse('25|3|x')).toMatchObject({ action: 'publish', controller: '25', topic: '3', data: 'x' });
    });

    it('reads a topic that only differs from a reserved one in case as a publish', () => {
      expect(parse('monitor|Msgack|m1')).toMatchObject({ action: 'publish', topic: 'Msgack', data: 'm1' });
    });
  });

  describe('QoS steps', () => {
    it('reads the examples of §6', () => {
      expect(parse('monitor|msgack|m1')).toEqual({ action: 'msgack', ids: ['m1'] });
      expect(parse('monitor|pubrec|m1')).toEqual({ action: 'pubrec', id: 'm1' });
      expect(parse('monitor|pubrel|c-1')).toEqual({ action: 'pubrel', id: 'c-1' });
    });

    it('tolerates CRLF and takes the whole rest as the id', () => {
      expect(parse('monitor|msgack|m1\r\n')).toEqual({ action: 'msgack', ids: ['m1'] });
      expect(parse('monitor|pubrel|a|b')).toEqual({ action: 'pubrel', id: 'a|b' });
    });

    it('does not need a controller, but checks one that is given', () => {
      expect(parse('|msgack|m1')).toEqual({ action: 'msgack', ids: ['m1'] });
      expect(parse('qosgate|pubrec|m1')).toEqual({ action: 'pubrec', id: 'm1' });
      expect(errorFrame('mon itor|pubrec|m1')).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'controller must be 1-128 characters of A-Za-z0-9._:/-',
        action: 'pubrec',
        id: 'm1',
      });
    });

    it.each([
      ['monitor|msgack', 'msgack', 'id is required'],
      ['monitor|msgack|', 'msgack', 'id is required'],
      ['monitor|pubrec|\r\n', 'pubrec', 'id is required'],
      [`monitor|pubrel|${'x'.repeat(65)}`, 'pubrel', 'id must be a string of 1-64 characters'],
    ])('refuses %j', (raw, action, message) => {
      expect(errorFrame(raw)).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action });
    });
  });

  describe('subscribe and unsubscribe', () => {
    it('subscribes asking for qos 2, so the grant is the QoS the connection claimed', () => {
      expect(parse('monitor|subscribe|temp')).toEqual({ action: 'subscribe', controller: 'monitor', topic: 'temp', qos: 2 });
      expect(parse('monitor|subscribe|temp\r\n')).toEqual({ action: 'subscribe', controller: 'monitor', topic: 'temp', qos: 2 });
    });

    it('takes an explicit qos after the topic', () => {
      for (const qos of [0, 1, 2] as const) {
        expect(parse(`monitor|subscribe|temp|${qos}`)).toEqual({ action: 'subscribe', controller: 'monitor', topic: 'temp', qos });
      }
    });

    it('unsubscribes', () => {
      expect(parse('monitor|unsubscribe|temp')).toEqual({ action: 'unsubscribe', controller: 'monitor', topic: 'temp' });
    });

    it.each([
      ['monitor|subscribe', 'subscribe', 'topic is required'],
      ['monitor|subscribe|', 'subscribe', 'topic is required'],
      ['monitor|subscribe|temp|3', 'subscribe', 'qos must be 0, 1 or 2'],
      ['monitor|subscribe|temp|', 'subscribe', 'qos must be 0, 1 or 2'],
      ['monitor|subscribe|temp|1|x', 'subscribe', 'qos must be 0, 1 or 2'],
      ['monitor|subscribe|te mp', 'subscribe', 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
      ['monitor|subscribe|ping', 'subscribe', 'topic ping is reserved'],
      ['|subscribe|temp', 'subscribe', 'controller is required'],
      ['monitor|unsubscribe', 'unsubscribe', 'topic is required'],
      ['monitor|unsubscribe|temp|1', 'unsubscribe', 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
      ['monitor|unsubscribe|resume', 'unsubscribe', 'topic resume is reserved'],
      ['|unsubscribe|temp', 'unsubscribe', 'controller is required'],
    ])('refuses %j', (raw, action, message) => {
      expect(errorFrame(raw)).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action });
    });
  });

  describe('resume and ping', () => {
    it.each(['monitor|ping', 'monitor|ping|', '|ping|', 'monitor|ping|anything', 'monitor|ping\r\n'])('%j pings', (raw) => {
      expect(parse(raw)).toEqual({ action: 'ping' });
    });

    it.each(['monitor|resume', 'monitor|resume|', 'sensor|resume|now\r\n'])('%j resumes', (raw) => {
      expect(parse(raw)).toEqual({ action: 'resume' });
    });

    it('checks a controller that is given', () => {
      expect(errorFrame('a b|ping')).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'controller must be 1-128 characters of A-Za-z0-9._:/-',
        action: 'ping',
      });
    });
  });
});

describe('numbers JSON cannot carry', () => {
  it('refuses data holding 1e999 (Infinity) instead of storing it as null', () => {
    const frame = '{"action":"publish","controller":"monitor","topic":"t","data":{"x":[1,1e999]},"qos":0}';
    expect(() => parseFrame(frame, { maxDataBytes: 65536 })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/1e999/) }));
    expect(() => parseFrame('{"action":"publish","controller":"monitor","topic":"t","data":-1e400}', { maxDataBytes: 65536 })).toThrow(/too large for JSON/);
  });

  it('still takes ordinary large and small numbers', () => {
    const command = parseFrame('{"action":"publish","controller":"monitor","topic":"t","data":[1e308,-1e-300,0]}', { maxDataBytes: 65536 });
    expect(command).toMatchObject({ data: [1e308, -1e-300, 0] });
  });
});
