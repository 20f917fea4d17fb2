import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import { parseFrame } from '../../../lambdas/core/frames/parse-frame.js';
import { MAX_BATCH_MESSAGES } from '../../../lambdas/core/types.js';

/** PROTOCOL §2 batched publish: `messages`, one id and one QoS for up to 100 messages. */
const opts = { maxDataBytes: 1024, maxExpirySeconds: 3600 };
const reading = (i: number, extra: object = {}) => ({ controller: 'sensor', topic: `site-1/t${i}`, data: { v: i }, ...extra });
const batch = (messages: unknown, extra: object = {}) => JSON.stringify({ action: 'publish', qos: 1, id: 'c-9', messages, ...extra });

function refusal(raw: string): ProtocolError {
  try {
    parseFrame(raw, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error(`frame was accepted: ${raw}`);
}

describe('a batched publish (PROTOCOL §2 messages)', () => {
  it('is one command with every message validated, one id, one QoS; retain defaults to false, expiry is kept per message', () => {
    const command = parseFrame(batch([reading(0), reading(1, { retain: true, expiry: 30 })]), opts);
    expect(command).toStrictEqual({
      action: 'publish',
      qos: 1,
      id: 'c-9',
      dup: false,
      messages: [
        { controller: 'sensor', topic: 'site-1/t0', data: { v: 0 }, retain: false },
        { controller: 'sensor', topic: 'site-1/t1', data: { v: 1 }, retain: true, expiry: 30 },
      ],
    });
  });

  it('takes 1 and 100 messages; a message without data carries null; QoS 0 needs no id and keeps none', () => {
    expect(parseFrame(batch([{ controller: 'monitor', topic: 'a' }]), opts)).toMatchObject({ messages: [{ data: null }] });
    const full = parseFrame(batch(Array.from({ length: MAX_BATCH_MESSAGES }, (_, i) => reading(i))), opts);
    expect('messages' in full && full.messages).toHaveLength(100);
    expect(parseFrame(JSON.stringify({ action: 'publish', messages: [reading(0)] }), opts)).toStrictEqual({ action: 'publish', qos: 0, dup: false, messages: [{ ...reading(0), retain: false }] });
    expect(parseFrame(batch([reading(0)], { dup: true, qos: 2 }), opts)).toMatchObject({ qos: 2, id: 'c-9', dup: true });
  });

  it('more than 100, none, or not an array is BAD_REQUEST naming the rule, with the frame’s action and id', () => {
    for (const messages of [Array.from({ length: 101 }, (_, i) => reading(i)), [], {}, 'x', null]) {
      const error = refusal(batch(messages));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe('messages must be a non-empty array of at most 100 messages');
      expect([error.action, error.id]).toEqual(['publish', 'c-9']);
    }
  });

  it('a bad message refuses the whole batch, naming its index and the rule', () => {
    const cases: Array<[unknown, string]> = [
      [{ topic: 't' }, 'messages[3]: controller is required'],
      [{ controller: 'sensor' }, 'messages[3]: topic is required'],
      [{ controller: 'sensor', topic: 'a b' }, 'messages[3]: topic must be 1-128 characters of A-Za-z0-9._:/-'],
      [{ controller: 'sensor', topic: 'msgack' }, 'messages[3]: topic msgack is reserved'],
      [{ controller: 'sensor', topic: 'site/+/t' }, 'messages[3]: topic of a publish cannot hold the wildcards + or # (PROTOCOL §8: only subscriptions take filters)'],
      [{ controller: '$presence', topic: 't' }, 'messages[3]: controller $presence is reserved: only the server publishes presence (PROTOCOL §9)'],
      [{ controller: 'sensor', topic: 't', retain: 'yes' }, 'messages[3]: retain must be true or false'],
      [{ controller: 'sensor', topic: 't', expiry: 0 }, 'messages[3]: expiry must be a whole number of seconds from 1 to 3600 (the message TTL)'],
      ['sensor|t|1', 'messages[3]: a message must be an object with controller, topic and data'],
      [[1], 'messages[3]: a message must be an object with controller, topic and data'],
    ];
    for (const [bad, message] of cases) {
      const error = refusal(batch([reading(0), reading(1), reading(2), bad, reading(4)]));
      expect({ code: error.code, message: error.message, action: error.action, id: error.id }).toStrictEqual({ code: 'BAD_REQUEST', message, action: 'publish', id: 'c-9' });
    }
  });

  it('a message whose data is over the limit is TOO_LARGE naming its index', () => {
    const error = refusal(batch([reading(0), reading(1, { data: 'x'.repeat(1100) })]));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toBe('messages[1]: data is 1102 bytes serialized; the limit is 1024');
  });

  it('a batch whose data together is over one publish’s limit (the frame limit’s budget) is BAD_REQUEST naming the message that goes over', () => {
    const half = (i: number) => reading(i, { data: 'x'.repeat(498) }); // 500 bytes serialized
    expect(parseFrame(batch([half(0), half(1)]), opts)).toMatchObject({ messages: [{}, {}] });
    const error = refusal(batch([half(0), half(1), half(2)]));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe("messages[2]: the batch's data comes to 1500 bytes serialized with this message; a batch carries at most 1024 in all (one publish's limit, which keeps its frame under API Gateway's 32 KB)");
  });

  it('mixing messages with a top-level controller, topic, data, retain or expiry is BAD_REQUEST', () => {
    for (const extra of [{ controller: 'sensor' }, { topic: 't' }, { data: 1 }, { retain: true }, { expiry: 5 }]) {
      const error = refusal(batch([reading(0)], extra));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe(`a batched publish carries ${Object.keys(extra)[0]} in each of its messages, not beside them`);
    }
  });

  it('the batch’s own fields are checked as a single publish’s: id for QoS 1 and 2, the qos, dup', () => {
    expect(refusal(JSON.stringify({ action: 'publish', qos: 1, messages: [reading(0)] })).message).toBe('id is required for qos 1 and 2');
    expect(refusal(batch([reading(0)], { qos: 3 })).message).toBe('qos must be 0, 1 or 2');
    expect(refusal(batch([reading(0)], { dup: 1 })).message).toBe('dup must be true or false');
  });
});
