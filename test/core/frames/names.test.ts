import { describe, expect, it } from 'vitest';
import {
  isReservedTopic,
  isValidClientId,
  isValidMessageId,
  isValidName,
  RESERVED_TOPICS,
} from '../../../lambdas/core/frames/names.js';

describe('isValidName (PROTOCOL §7)', () => {
  it.each(['sensor', 'temp', 'a', 'A-Z_0.9', 'building/3/floor:2', 'x'.repeat(128), 'msgack'])('accepts %s', (name) => {
    expect(isValidName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'a b'],
    ['a pipe', 'a|b'],
    ['a plus (no MQTT wildcards)', 'a/+'],
    ['a hash', 'a/#'],
    ['non-ASCII', 'température'],
    ['a trailing newline', 'temp\n'],
  ])('rejects %s', (_label, name) => {
    expect(isValidName(name)).toBe(false);
  });

  it.each([undefined, null, 1, {}, ['temp']])('rejects the non-string %j', (value) => {
    expect(isValidName(value)).toBe(false);
  });
});

describe('reserved topics (PROTOCOL §7)', () => {
  it('are exactly the text frames QoS steps', () => {
    expect([...RESERVED_TOPICS]).toEqual(['msgack', 'pubrec', 'pubrel', 'subscribe', 'unsubscribe', 'resume', 'ping']);
    for (const topic of RESERVED_TOPICS) expect(isReservedTopic(topic)).toBe(true);
  });

  it('are case-sensitive and do not include the server-only words', () => {
    for (const topic of ['Msgack', 'PING', 'suback', 'pong', 'temp', 'constructor', '__proto__']) {
      expect(isReservedTopic(topic)).toBe(false);
    }
  });
});

describe('isValidClientId (PROTOCOL §1)', () => {
  it.each(['dev-7', 'a', 'A.b_c:d-e', 'x'.repeat(128)])('accepts %s', (id) => {
    expect(isValidClientId(id)).toBe(true);
  });

  it.each(['', 'x'.repeat(129), 'a/b', 'a b', 'é', 'a|b'])('rejects %j', (id) => {
    expect(isValidClientId(id)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(isValidClientId(7)).toBe(false);
    expect(isValidClientId(undefined)).toBe(false);
  });
});

describe('isValidMessageId (PROTOCOL §2: 1-64 chars)', () => {
  it.each(['c-1', 'm1', 'x', 'x'.repeat(64), 'with space', 'a|b', 'ünïcødé', '😀'.repeat(64), '550e8400-e29b-41d4-a716-446655440000'])(
    'accepts %j',
    (id) => {
      expect(isValidMessageId(id)).toBe(true);
    },
  );

  it('counts code points, not UTF-16 units', () => {
    expect('😀'.repeat(64)).toHaveLength(128);
    expect(isValidMessageId('😀'.repeat(64))).toBe(true);
    expect(isValidMessageId('😀'.repeat(65))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'x'.repeat(65)],
    ['a newline', 'm1\n'],
    ['a carriage return', 'm\r1'],
    ['a NUL', 'm\u00001'],
    ['DEL', 'm\u007f'],
    ['a lone high surrogate', 'm\ud800'],
    ['a lone low surrogate', '\udc00m'],
  ])('rejects %s', (_label, id) => {
    expect(isValidMessageId(id)).toBe(false);
  });

  it.each([1, null, undefined, ['m1'], { id: 'm1' }, true])('rejects the non-string %j', (value) => {
    expect(isValidMessageId(value)).toBe(false);
  });
});
