import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import { parseFrame } from '../../../lambdas/core/frames/parse-frame.js';

const LIMIT = { maxDataBytes: 64 * 1024 };

/** The error frame a refused frame gets (PROTOCOL §3); fails the test when it is accepted. */
function errorFrame(raw: string) {
  try {
    parseFrame(raw, LIMIT);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).toFrame();
  }
  throw new Error(`frame was accepted: ${raw}`);
}

describe('parseFrame: topic filters (PROTOCOL §8)', () => {
  it.each(['site-1/+/temp', 'site-1/#', '#', '+/+/#'])('subscribes and unsubscribes to the filter %s, JSON and text', (topic) => {
    expect(parseFrame(JSON.stringify({ action: 'subscribe', controller: 'monitor', topic, qos: 1 }), LIMIT)).toEqual({ action: 'subscribe', controller: 'monitor', topic, qos: 1 });
    expect(parseFrame(JSON.stringify({ action: 'unsubscribe', controller: 'monitor', topic }), LIMIT)).toEqual({ action: 'unsubscribe', controller: 'monitor', topic });
    expect(parseFrame(`monitor|subscribe|${topic}|2`, LIMIT)).toEqual({ action: 'subscribe', controller: 'monitor', topic, qos: 2 });
    expect(parseFrame(`monitor|unsubscribe|${topic}`, LIMIT)).toEqual({ action: 'unsubscribe', controller: 'monitor', topic });
  });

  it.each([
    ['a/#/b', '# must be the last level'],
    ['a+/b', '+ must be a whole level'],
    ['#x', '# must be a whole level'],
    ['a/b c/+', 'topic must be 1-128 characters of A-Za-z0-9._:/- (and + or # as whole levels)'],
  ])('refuses the filter %s naming the rule: %s', (topic, message) => {
    expect(errorFrame(JSON.stringify({ action: 'subscribe', controller: 'monitor', topic }))).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action: 'subscribe' });
    expect(errorFrame(`monitor|subscribe|${topic}`)).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action: 'subscribe' });
    expect(errorFrame(`monitor|unsubscribe|${topic}`)).toEqual({ type: 'error', code: 'BAD_REQUEST', message, action: 'unsubscribe' });
  });

  it.each(['site-1/+/temp', 'site-1/#', 'a+b'])('refuses a publish to %s: wildcards are for subscriptions', (topic) => {
    const message = 'topic of a publish cannot hold the wildcards + or # (PROTOCOL §8: only subscriptions take filters)';
    expect(errorFrame(JSON.stringify({ action: 'publish', controller: 'monitor', topic, data: 1, qos: 1, id: 'p1' }))).toMatchObject({ code: 'BAD_REQUEST', message, action: 'publish', id: 'p1' });
    expect(errorFrame(`monitor|${topic}|1`)).toMatchObject({ code: 'BAD_REQUEST', message, action: 'publish' });
  });
});
