import { describe, expect, it } from 'vitest';
import { mergePartitions, onceAcrossPartitions } from '../../lambdas/core/audience.js';
import type { Qos, Recipient } from '../../lambdas/core/types.js';

const recipient = (sessionId: string, subscriptionQos: Qos): Recipient => ({
  sessionId,
  connectionId: `c-${sessionId}`,
  sessionKind: 'clean',
  claimedQos: 2,
  format: 'json',
  subscriptionQos,
});

describe('one copy per session across an audience’s partitions (PROTOCOL §8)', () => {
  it('merges whole partitions: each session once, at its best subscription QoS', () => {
    const merged = mergePartitions([[recipient('s1', 0), recipient('s2', 1)], [recipient('s1', 2)], [recipient('s1', 1), recipient('s3', 0)]]);
    expect(merged.map((r) => [r.sessionId, r.subscriptionQos])).toEqual([
      ['s1', 2],
      ['s2', 1],
      ['s3', 0],
    ]);
  });

  it('leaves a page’s recipient to the earliest partition that holds it, at the best QoS of all', () => {
    const page = [recipient('s1', 0), recipient('s2', 0), recipient('s3', 1)];
    const hits = [
      { partition: 0, sessionId: 's1', subscriptionQos: 2 as Qos },
      { partition: 2, sessionId: 's2', subscriptionQos: 2 as Qos },
    ];
    const once = onceAcrossPartitions(page, 1, hits);
    expect(once.map((r) => [r.sessionId, r.subscriptionQos])).toEqual([
      ['s2', 2],
      ['s3', 1],
    ]);
  });

  it('delivers every session exactly once over all partitions’ pages, whatever their order', () => {
    const partitions = [
      [recipient('a', 0), recipient('b', 1)],
      [recipient('a', 2), recipient('c', 0)],
      [recipient('b', 2), recipient('c', 1), recipient('d', 0)],
    ];
    const hitsOf = (sessionIds: string[]) =>
      partitions.flatMap((list, partition) => list.filter((r) => sessionIds.includes(r.sessionId)).map((r) => ({ partition, sessionId: r.sessionId, subscriptionQos: r.subscriptionQos as Qos })));
    const delivered = [2, 0, 1].flatMap((i) => onceAcrossPartitions(partitions[i]!, i, hitsOf(partitions[i]!.map((r) => r.sessionId))));
    expect(delivered.map((r) => [r.sessionId, r.subscriptionQos]).sort()).toEqual(mergePartitions(partitions).map((r) => [r.sessionId, r.subscriptionQos]));
  });
});
