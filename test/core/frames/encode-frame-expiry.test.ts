import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../lambdas/core/frames/encode-frame.js';
import type { ServerFrame } from '../../../lambdas/core/types.js';

/** PROTOCOL §4 per-message expiry: a message handed on carries the seconds it has left. */
const message: ServerFrame = { type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: 'm1', dup: false, expiry: 17 };

describe('a message frame with an expiry', () => {
  it('in JSON carries "expiry" after the fields of §3', () => {
    expect(encodeFrame(message, 'json')).toBe('{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":1,"id":"m1","dup":false,"expiry":17}');
    expect(encodeFrame({ ...message, retained: true }, 'json')).toBe(
      '{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":1,"id":"m1","dup":false,"retained":true,"expiry":17}',
    );
  });

  it('in text keeps the §6 line unchanged (no field for it)', () => {
    expect(encodeFrame(message, 'text')).toBe('monitor|temp|25.3|1|m1');
    expect(encodeFrame({ ...message, qos: 0, expiry: 3 }, 'text')).toBe('monitor|temp|25.3');
  });

  it('without one writes no "expiry"', () => {
    const { expiry: _none, ...plain } = message as Extract<ServerFrame, { type: 'message' }>;
    expect(encodeFrame(plain, 'json')).not.toContain('expiry');
  });
});
