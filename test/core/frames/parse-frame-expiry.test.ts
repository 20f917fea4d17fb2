import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import { parseFrame } from '../../../lambdas/core/frames/parse-frame.js';
import { DEFAULT_POLICY } from '../../../lambdas/core/policy.js';

/** PROTOCOL §4 per-message expiry on `publish`: whole seconds, 1 to the message TTL. */
const opts = { maxDataBytes: 65_536, maxExpirySeconds: 3600 };
const publish = (extra: object) => JSON.stringify({ action: 'publish', controller: 'monitor', topic: 'temp', data: 1, qos: 1, id: 'p1', ...extra });

function refusal(raw: string, options: Parameters<typeof parseFrame>[1] = opts): ProtocolError {
  try {
    parseFrame(raw, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error(`frame was accepted: ${raw}`);
}

describe('a publish’s expiry', () => {
  it('is kept on the command, at every QoS; absent, the command has none', () => {
    expect(parseFrame(publish({ expiry: 17 }), opts)).toMatchObject({ action: 'publish', qos: 1, expiry: 17 });
    expect(parseFrame(publish({ qos: 0, expiry: 1 }), opts)).toMatchObject({ qos: 0, expiry: 1 });
    expect(parseFrame(publish({ expiry: 3600 }), opts)).toMatchObject({ expiry: 3600 });
    expect(parseFrame(publish({}), opts)).not.toHaveProperty('expiry');
  });

  it('that is 0, negative, fractional, over the message TTL or not a number is BAD_REQUEST naming the rule, with the frame’s action and id', () => {
    for (const expiry of [0, -5, 1.5, 3601, '10', null, true, [], {}]) {
      const error = refusal(publish({ expiry }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe('expiry must be a whole number of seconds from 1 to 3600 (the message TTL)');
      expect(error.action).toBe('publish');
      expect(error.id).toBe('p1');
    }
  });

  it('is bounded by the default message TTL where the caller gives no bound', () => {
    const max = DEFAULT_POLICY.messageTtlMs / 1000;
    expect(parseFrame(publish({ expiry: max }), { maxDataBytes: 65_536 })).toMatchObject({ expiry: max });
    expect(refusal(publish({ expiry: max + 1 }), { maxDataBytes: 65_536 }).message).toMatch(/expiry must be/);
  });

  it('is ignored on other actions (unknown fields are), and a text frame has none', () => {
    expect(parseFrame(JSON.stringify({ action: 'subscribe', controller: 'monitor', topic: 't', expiry: 0 }), opts)).not.toHaveProperty('expiry');
    expect(parseFrame('sensor|temp|25', opts)).not.toHaveProperty('expiry');
  });
});
