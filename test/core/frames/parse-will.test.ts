import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import { parseFrame } from '../../../lambdas/core/frames/parse-frame.js';

/** PROTOCOL §2 `will` and `disconnect`, §9 the reserved `$` controllers (parse-frame.ts). */
const LIMIT = { maxDataBytes: 64 };
const parse = (frame: object | string) => parseFrame(typeof frame === 'string' ? frame : JSON.stringify(frame), LIMIT);
function refusal(frame: object | string): ProtocolError {
  try {
    parse(frame);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error(`accepted: ${JSON.stringify(frame)}`);
}

describe('parseFrame: will (PROTOCOL §2, §9)', () => {
  it('reads the example of §2', () => {
    expect(parse({ action: 'will', controller: 'monitor', topic: 'status/dev-7', data: 'offline', qos: 1, retain: true })).toEqual({
      action: 'will',
      will: { controller: 'monitor', topic: 'status/dev-7', data: 'offline', qos: 1, retain: true },
    });
  });

  it('defaults as a publish does: qos 0, retain false, data null; no id needed', () => {
    expect(parse({ action: 'will', controller: 'monitor', topic: 't' })).toEqual({ action: 'will', will: { controller: 'monitor', topic: 't', data: null, qos: 0, retain: false } });
  });

  it('`{"action":"will"}` alone clears the will', () => {
    expect(parse({ action: 'will' })).toEqual({ action: 'will' });
  });

  it.each([
    [{ action: 'will', controller: 'monitor' }, 'BAD_REQUEST', 'a will needs a topic; send {"action":"will"} alone to clear it'],
    [{ action: 'will', topic: 't' }, 'BAD_REQUEST', 'controller is required'],
    [{ action: 'will', controller: 'monitor', topic: 'a b' }, 'BAD_REQUEST', 'topic must be 1-128 characters of A-Za-z0-9._:/-'],
    [{ action: 'will', controller: 'monitor', topic: 'pubrel' }, 'BAD_REQUEST', 'topic pubrel is reserved'],
    [{ action: 'will', controller: 'monitor', topic: 't', qos: 3 }, 'BAD_REQUEST', 'qos must be 0, 1 or 2'],
    [{ action: 'will', controller: 'monitor', topic: 't', retain: 1 }, 'BAD_REQUEST', 'retain must be true or false'],
    [{ action: 'will', controller: 'monitor', topic: 't', data: 'x'.repeat(100) }, 'TOO_LARGE', 'data is 102 bytes serialized; the limit is 64'],
    [{ action: 'will', controller: '$presence', topic: 't' }, 'BAD_REQUEST', 'controller $presence is reserved: only the server publishes presence (PROTOCOL §9)'],
  ])('refuses %j with %s: %s', (frame, code, message) => {
    expect(refusal(frame)).toMatchObject({ code, message, action: 'will' });
  });
});

describe('parseFrame: disconnect (PROTOCOL §2)', () => {
  it('reads {"action":"disconnect"}; other fields are ignored', () => {
    expect(parse({ action: 'disconnect' })).toEqual({ action: 'disconnect' });
    expect(parse({ action: 'disconnect', reason: 'bye' })).toEqual({ action: 'disconnect' });
  });
});

describe('parseFrame: the server’s $ controllers (PROTOCOL §9)', () => {
  it('$presence may be subscribed to and unsubscribed from, as JSON and as text', () => {
    expect(parse({ action: 'subscribe', controller: '$presence', topic: 'dev-7', qos: 1 })).toEqual({ action: 'subscribe', controller: '$presence', topic: 'dev-7', qos: 1 });
    expect(parse({ action: 'unsubscribe', controller: '$presence', topic: 'dev-7' })).toEqual({ action: 'unsubscribe', controller: '$presence', topic: 'dev-7' });
    expect(parse('$presence|subscribe|dev-7|1')).toEqual({ action: 'subscribe', controller: '$presence', topic: 'dev-7', qos: 1 });
  });

  it('nobody publishes to $presence, JSON or text', () => {
    const message = 'controller $presence is reserved: only the server publishes presence (PROTOCOL §9)';
    expect(refusal({ action: 'publish', controller: '$presence', topic: 'dev-7', data: 1 })).toMatchObject({ code: 'BAD_REQUEST', message, action: 'publish' });
    expect(refusal('$presence|dev-7|{"event":"connected"}')).toMatchObject({ code: 'BAD_REQUEST', message, action: 'publish' });
  });

  it('any other $ name is refused for every use, saying why', () => {
    const message = 'controller names starting with $ are reserved for the server (PROTOCOL §9); only $presence can be subscribed to';
    for (const frame of [
      { action: 'subscribe', controller: '$sys', topic: 't' },
      { action: 'publish', controller: '$sys', topic: 't' },
      { action: 'will', controller: '$', topic: 't' },
    ]) {
      expect(refusal(frame)).toMatchObject({ code: 'BAD_REQUEST', message });
    }
  });
});
