import { describe, expect, it } from 'vitest';
import { runController, defineController } from '../../lambdas/core/controllers/controller.js';
import { planDelivery, type Delivery } from '../../lambdas/core/delivery.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { Recipient } from '../../lambdas/core/types.js';

/** PROTOCOL §4 per-message expiry at the first send. */
const t0 = 1_700_000_000_000;
const base = { sessionKind: 'clean', format: 'json' } as const;
const qos1: Recipient = { ...base, sessionId: 'a', connectionId: 'ca', claimedQos: 1 };
const qos0: Recipient = { ...base, sessionId: 'b', connectionId: 'cb', claimedQos: 0 };
const away: Recipient = { ...base, sessionKind: 'persistent', sessionId: 'c', claimedQos: 2 };
const temp: Delivery = { via: 'publish', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, expiresAt: t0 + 17_000 };

describe('planning a delivery with an expiry', () => {
  it('sends every recipient the seconds left, and stores the end on every entry', () => {
    const plan = planDelivery([qos1, qos0, away], temp, 'm1', t0, DEFAULT_POLICY);
    expect(plan.sends.map((s) => s.frame)).toEqual([
      { type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: 'm1:1', dup: false, expiry: 17 },
      { type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 0, dup: false, expiry: 17 },
    ]);
    expect(plan.entries.map((e) => e.messageExpiresAt)).toEqual([t0 + 17_000, t0 + 17_000]);
  });

  it('already expired, sends and stores nothing, for nobody', () => {
    expect(planDelivery([qos1, qos0, away], temp, 'm1', t0 + 17_000, DEFAULT_POLICY)).toEqual({ entries: [], sends: [], dropped: 0 });
  });

  it('without one, frames and entries carry none', () => {
    const { expiresAt: _none, ...plain } = temp;
    const plan = planDelivery([qos1, qos0], plain, 'm1', t0, DEFAULT_POLICY);
    expect(plan.sends.every((s) => !('expiry' in s.frame))).toBe(true);
    expect(plan.entries.every((e) => !('messageExpiresAt' in e))).toBe(true);
  });
});

describe('a controller method handling a message with an expiry', () => {
  it('gives every delivery it asks for the message’s end; the default publish too', async () => {
    const relay = defineController('relay', {
      go: (data, ctx) => {
        ctx.invokeToAll('monitor', 'a', data, 1);
        ctx.publishToAll('monitor', 'b', data);
      },
    });
    const sender = { sessionId: 's', connectionId: 'c' };
    expect((await runController(relay, 'go', 1, 1, sender, t0 + 5)).map((d) => d.expiresAt)).toEqual([t0 + 5, t0 + 5]);
    expect(await runController(relay, 'other', 1, 1, sender, t0 + 5)).toEqual([{ via: 'publish', controller: 'relay', topic: 'other', data: 1, qos: 1, expiresAt: t0 + 5 }]);
    expect((await runController(relay, 'go', 1, 1, sender)).every((d) => !('expiresAt' in d))).toBe(true);
  });
});
