import { describe, expect, it } from 'vitest';
import { historyRecordsOf, ingestTopicProblem, isIngested, recordTtlMs, SINK_ONLY_TTL_MS } from '../../lambdas/core/ingest.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';

const DAY = 86_400_000;

describe('what is recorded (core/ingest.ts, PROTOCOL §10-11)', () => {
  it('the TTL: history on keeps historyTtlMs; off with the sink on, an hour; both off, nothing', () => {
    expect(DEFAULT_POLICY.historyTtlMs).toBe(7 * DAY);
    expect(recordTtlMs({ ...DEFAULT_POLICY })).toBe(7 * DAY);
    expect(recordTtlMs({ ...DEFAULT_POLICY, sinkEnabled: true, historyTtlMs: DAY })).toBe(DAY);
    expect(recordTtlMs({ ...DEFAULT_POLICY, historyTtlMs: 0, sinkEnabled: true })).toBe(SINK_ONLY_TTL_MS);
    expect(recordTtlMs({ ...DEFAULT_POLICY, historyTtlMs: 0, sinkEnabled: false })).toBeUndefined();
  });

  it('ingestTopics: <controller>/<topic filter>, * for every controller; the default takes everything', () => {
    expect(isIngested(DEFAULT_POLICY, 'sensor', 'a/b/c')).toBe(true);
    const policy = { ingestTopics: ['sensor/temp', 'boiler/site-1/+/temp', '*/alerts/#'] };
    expect(isIngested(policy, 'sensor', 'temp')).toBe(true);
    expect(isIngested(policy, 'sensor', 'hum')).toBe(false);
    expect(isIngested(policy, 'monitor', 'temp')).toBe(false);
    expect(isIngested(policy, 'boiler', 'site-1/b2/temp')).toBe(true);
    expect(isIngested(policy, 'boiler', 'site-1/temp')).toBe(false);
    expect(isIngested(policy, 'anything', 'alerts')).toBe(true);
    expect(isIngested(policy, 'anything', 'alerts/fire/now')).toBe(true);
  });

  it('a bad ingestTopics entry is named with the rule it breaks', () => {
    expect(ingestTopicProblem('sensor/#')).toBeUndefined();
    expect(ingestTopicProblem('*/#')).toBeUndefined();
    expect(ingestTopicProblem('sensor')).toMatch(/is not <controller>\/<topic filter>/);
    expect(ingestTopicProblem('sensor/')).toMatch(/is not <controller>\/<topic filter>/);
    expect(ingestTopicProblem('/temp')).toMatch(/is not <controller>\/<topic filter>/);
    expect(ingestTopicProblem('sen sor/temp')).toMatch(/the controller must be \* or a controller name/);
    expect(ingestTopicProblem('sensor/a/#/b')).toMatch(/# must be the last level/);
  });

  it('records: the source’s id for one message, <id>:<index> in a batch, only the selected topics', () => {
    const source = { clientId: 'dev-7', messageId: 'dev-7:c-9', receivedAt: 1000 };
    const one = historyRecordsOf([{ controller: 'sensor', topic: 'temp', data: 1, qos: 1 }], source, DEFAULT_POLICY, 60_000);
    expect(one).toStrictEqual([{ controller: 'sensor', topic: 'temp', data: 1, qos: 1, clientId: 'dev-7', receivedAt: 1000, messageId: 'dev-7:c-9', expiresAt: 61_000 }]);
    const batch = historyRecordsOf(
      [
        { controller: 'sensor', topic: 'temp', data: 1, qos: 1 },
        { controller: 'sensor', topic: 'hum', data: 2, qos: 1 },
        { controller: 'sensor', topic: 'temp', data: 3, qos: 1 },
      ],
      source,
      { ingestTopics: ['sensor/temp'] },
      60_000,
    );
    expect(batch.map((r) => [r.messageId, r.data])).toEqual([
      ['dev-7:c-9:0', 1],
      ['dev-7:c-9:2', 3],
    ]);
  });
});
