import { describe, expect, it } from 'vitest';
import { deliveryMessageId, planDelivery, type Delivery } from '../../lambdas/core/delivery.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import type { Recipient } from '../../lambdas/core/types.js';

const t0 = 1_700_000_000_000;
const base = { sessionKind: 'clean', format: 'json' } as const;
const qosMonitor: Recipient = { ...base, sessionId: 'a', connectionId: 'ca', claimedQos: 1 };
const plainMonitor: Recipient = { ...base, sessionId: 'b', connectionId: 'cb', claimedQos: 0 };
const awayQos: Recipient = { ...base, sessionKind: 'persistent', sessionId: 'c', claimedQos: 2 };
const awayPlain: Recipient = { ...base, sessionKind: 'persistent', sessionId: 'd', claimedQos: 0 };
const temp: Delivery = { via: 'invoke', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1 };

describe('planning a delivery', () => {
  it('stores and sends with an id to a QoS client; sends once with no id and stores nothing for a client that claimed nothing', () => {
    const plan = planDelivery([qosMonitor, plainMonitor], temp, 'm1', t0, DEFAULT_POLICY);
    expect(plan.entries.map((e) => e.sessionId)).toEqual(['a']);
    expect(plan.sends).toHaveLength(2);
    expect(plan.sends[0]?.frame).toEqual({ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: 'm1', dup: false });
    expect(plan.sends[1]?.frame).toEqual({ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 0, dup: false });
    expect(plan.sends[1]?.frame).not.toHaveProperty('id');
  });

  it('keeps QoS 1/2 for a persistent session that is away and drops QoS 0 for it', () => {
    const plan = planDelivery([awayQos, awayPlain], temp, 'm1', t0, DEFAULT_POLICY);
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]).toMatchObject({ sessionId: 'c', parked: true, qos: 1 });
    expect(plan.sends).toHaveLength(0);
    expect(plan.dropped).toBe(1);
  });

  it('caps by the subscription QoS', () => {
    const plan = planDelivery([{ ...qosMonitor, claimedQos: 2, subscriptionQos: 1 }], { ...temp, via: 'publish', qos: 2 }, 'm1', t0, DEFAULT_POLICY);
    expect(plan.entries[0]?.qos).toBe(1);
  });

  it('marks retained values', () => {
    const plan = planDelivery([qosMonitor], { ...temp, retained: true }, 'm1', t0, DEFAULT_POLICY);
    expect(plan.sends[0]?.frame).toMatchObject({ retained: true });
    expect(plan.entries[0]?.retained).toBe(true);
  });

  it('gives each delivery of one message its own id, the first the message id itself', () => {
    expect(deliveryMessageId('m1', 0)).toBe('m1');
    expect(deliveryMessageId('m1', 2)).toBe('m1.2');
  });
});
