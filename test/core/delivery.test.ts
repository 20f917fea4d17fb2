import { describe, expect, it } from 'vitest';
import { deliveryMessageId, idTime, isQos1Id, isQos2Id, planDelivery, recipientId, type Delivery } from '../../lambdas/core/delivery.js';
import { newMessageId } from '../../lambdas/app/ids.js';
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
    expect(plan.sends[0]?.frame).toEqual({ type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: 'm1:1', dup: false });
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

describe('server ids tell a msgack what it acks (issue 13: acks without reads)', () => {
  const qos2Delivery: Delivery = { ...temp, qos: 2 };
  const both: Recipient[] = [qosMonitor, { ...qosMonitor, sessionId: 'e', connectionId: 'ce', claimedQos: 2 }];

  it('marks the recipients of a QoS 1 delivery :1, of a QoS 2 delivery :2, and parks under the same id', () => {
    const plan = planDelivery([...both, awayQos], temp, 'm1', t0, DEFAULT_POLICY);
    expect(plan.entries.map((e) => e.id)).toEqual(['m1:1', 'm1:1', 'm1:1']);
    expect(plan.sends.map((s) => s.frame)).toEqual(plan.sends.map(() => expect.objectContaining({ id: 'm1:1' })));
    expect(isQos1Id('m1:1')).toBe(true);
  });

  it('a QoS 2 delivery marks every recipient :2, a QoS 1 one among them too, so a re-run finds the same ids', () => {
    const plan = planDelivery(both, qos2Delivery, 'm1', t0, DEFAULT_POLICY);
    expect(plan.entries.map((e) => [e.id, e.qos])).toEqual([['m1:2', 1], ['m1:2', 2]]);
    expect(isQos2Id('m1:2')).toBe(true);
    expect(isQos1Id('m1:2')).toBe(false);
  });

  it('an id without a mark (stored before marks, or by hand) takes the read path: no QoS 2 entry is deleted blind', () => {
    for (const id of ['m1', 'mh1x2abcdeadbeef', 'm1.2', 'x:12', 'x:2']) expect(isQos1Id(id)).toBe(false);
    expect(recipientId(deliveryMessageId('m1', 2), 1)).toBe('m1.2:1');
  });

  it('ids stay within the characters a text frame allows', () => {
    expect(recipientId(newMessageId(t0), 2)).toMatch(/^[A-Za-z0-9._:-]+$/);
  });

  it('reads the hand-on time back from a production id, with or without a delivery index', () => {
    expect(idTime(recipientId(newMessageId(t0), 1), t0 + 5, 60_000)).toBe(t0);
    expect(idTime(recipientId(deliveryMessageId(newMessageId(t0), 3), 2), t0 + 5, 60_000)).toBe(t0);
  });

  it('gives no time for a foreign id, nor for one from the future or older than the limit', () => {
    expect(idTime('m000001:1', t0, 60_000)).toBeUndefined();
    expect(idTime('whatever', t0, 60_000)).toBeUndefined();
    expect(idTime(recipientId(newMessageId(t0 + 1), 1), t0, 60_000)).toBeUndefined();
    expect(idTime(recipientId(newMessageId(t0 - 60_001), 1), t0, 60_000)).toBeUndefined();
  });

  it('carries the recipient\'s backlog flag to its send, for lazy flow control', () => {
    const plan = planDelivery([{ ...qosMonitor, backlogged: true }, plainMonitor, { ...qosMonitor, sessionId: 'f', connectionId: 'cf' }], temp, 'm1', t0, DEFAULT_POLICY);
    expect(plan.sends.map((s) => s.backlogged)).toEqual([true, undefined, undefined]);
  });
});
