import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readPolicy } from '../lambdas/config.js';
import { CONTEXT_KEYS, configFromContext, ingestEnvironment, policyEnvironment } from '../lib/config.js';

/** Ingestion's settings (PROTOCOL §10-11): the Lambdas' environment (lambdas/config.ts) and the deployment's context keys (lib/config.ts). */
describe('ingestion settings', () => {
  it('HISTORY_TTL_MS: 7 days by default, 0 turns history off, anything else refused at cold start', () => {
    expect(readPolicy({}).historyTtlMs).toBe(7 * 86_400_000);
    expect(readPolicy({ HISTORY_TTL_MS: '0' }).historyTtlMs).toBe(0);
    expect(readPolicy({ HISTORY_TTL_MS: '3600000' }).historyTtlMs).toBe(3_600_000);
    expect(() => readPolicy({ HISTORY_TTL_MS: '-1' })).toThrow(/HISTORY_TTL_MS must be a positive integer or 0 \(off\)/);
  });

  it('INGEST_TOPICS: everything by default; a comma list; a bad entry stops the function, naming it', () => {
    expect(readPolicy({}).ingestTopics).toEqual(['*/#']);
    expect(readPolicy({ INGEST_TOPICS: 'sensor/#, monitor/site-1/+/temp' }).ingestTopics).toEqual(['sensor/#', 'monitor/site-1/+/temp']);
    expect(() => readPolicy({ INGEST_TOPICS: 'sensor/#,temp' })).toThrow(/INGEST_TOPICS: "temp" is not <controller>\/<topic filter>/);
  });

  it('SINK_ENABLED: off unless "true"; a typo stops the function', () => {
    expect(readPolicy({}).sinkEnabled).toBe(false);
    expect(readPolicy({ SINK_ENABLED: 'true' }).sinkEnabled).toBe(true);
    expect(readPolicy({ SINK_ENABLED: 'false' }).sinkEnabled).toBe(false);
    expect(() => readPolicy({ SINK_ENABLED: 'yes' })).toThrow(/SINK_ENABLED must be true or false, got "yes"/);
  });

  it('qosgate:policy historyTtlMs and qosgate:ingestTopics (a JSON list or a comma list) become the functions’ variables', () => {
    const config = configFromContext(new App({ context: { [CONTEXT_KEYS.policy]: '{"historyTtlMs":0}', [CONTEXT_KEYS.ingestTopics]: 'sensor/#,*/alerts' } }).node);
    expect(policyEnvironment(config.policy)).toEqual({ HISTORY_TTL_MS: '0' });
    expect(ingestEnvironment(config.ingestTopics)).toEqual({ INGEST_TOPICS: 'sensor/#,*/alerts' });
    expect(configFromContext(new App({ context: { [CONTEXT_KEYS.ingestTopics]: ['sensor/temp'] } }).node).ingestTopics).toEqual(['sensor/temp']);
    expect(ingestEnvironment(configFromContext(new App().node).ingestTopics)).toEqual({});
  });

  it('refuses a bad ingestTopics at synth, naming the entry', () => {
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.ingestTopics]: 'sensor' } }).node)).toThrow(/ingestTopics: "sensor" is not <controller>\/<topic filter>/);
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.ingestTopics]: '[]' } }).node)).toThrow(/ingestTopics must be a non-empty list/);
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.policy]: '{"historyTtlMs":-5}' } }).node)).toThrow(/policy.historyTtlMs must be a positive integer or 0 \(off\)/);
  });
});
