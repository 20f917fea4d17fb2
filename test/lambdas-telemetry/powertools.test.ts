import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsLogger } from '../../lambdas/adapters/powertools/powertools-logger.js';
import { PowertoolsMetrics } from '../../lambdas/adapters/powertools/powertools-metrics.js';
import { frameSummary } from '../../lambdas/app/sender.js';
import { flushingMetrics } from '../../lambdas/entry/functions.js';
import { defaultMetrics, stageOf } from '../../lambdas/entry/wiring.js';
import { MemoryMetrics, noopMetrics } from '../../lambdas/ports/metrics.js';
import { DIMENSION, METRIC_NAMESPACE, SERVICE_NAME } from '../../lambdas/telemetry/metric-names.js';

/** What Powertools wrote to stdout, one parsed JSON object per line. */
let lines: Array<Record<string, any>>;

beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, any>);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** The metric definitions of an EMF line: name -> unit. */
function definitions(line: Record<string, any>): Record<string, string> {
  const [directive] = line._aws.CloudWatchMetrics as Array<{ Metrics: Array<{ Name: string; Unit: string }> }>;
  return Object.fromEntries(directive!.Metrics.map((m) => [m.Name, m.Unit]));
}

describe('PowertoolsMetrics writes valid CloudWatch EMF', () => {
  it('one line per dimension set, with the shared namespace and the emitted dimensions, counts summed', () => {
    const metrics = new PowertoolsMetrics({ stage: 'prod' });
    metrics.count('Published', 1, 1);
    metrics.count('Published', 1, 1);
    metrics.count('Delivered', 3, 1);
    metrics.count('Published', 1, 0);
    metrics.count('Resent', 2);
    metrics.latency('AckLatency', 120, 1);
    metrics.latency('AckLatency', 80, 1);
    expect(lines).toEqual([]); // buffered until the flush
    metrics.flush();

    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(typeof line._aws.Timestamp).toBe('number');
      expect(directive.Namespace).toBe(METRIC_NAMESPACE);
      // Every dimension named in the directive is a top-level member of the line.
      for (const name of directive.Dimensions[0]) expect(line).toHaveProperty(name);
      expect(line[DIMENSION.service]).toBe(SERVICE_NAME);
      expect(line[DIMENSION.stage]).toBe('prod');
    }
    const plain = lines.find((l) => l[DIMENSION.qos] === undefined)!;
    expect(plain._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual([DIMENSION.service, DIMENSION.stage].sort());
    expect(definitions(plain)).toEqual({ Resent: 'Count' });
    expect(plain.Resent).toBe(2);

    const qos1 = lines.find((l) => l[DIMENSION.qos] === '1')!;
    expect(qos1._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual([DIMENSION.qos, DIMENSION.service, DIMENSION.stage].sort());
    expect(definitions(qos1)).toEqual({ Published: 'Count', Delivered: 'Count', AckLatency: 'Milliseconds' });
    expect(qos1.Published).toBe(2);
    expect(qos1.Delivered).toBe(3);
    expect(qos1.AckLatency).toEqual([120, 80]);

    const qos0 = lines.find((l) => l[DIMENSION.qos] === '0')!;
    expect(qos0.Published).toBe(1);
  });

  it('writes nothing (not even a warning) when nothing was recorded, and clears after a flush', () => {
    const metrics = new PowertoolsMetrics({ stage: 'dev' });
    metrics.flush();
    metrics.count('DeadLettered');
    metrics.flush();
    metrics.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.DeadLettered).toBe(1);
  });

  it('refuses a metric with the wrong dimensions for its spec', () => {
    const metrics = new PowertoolsMetrics({ stage: 'dev' });
    expect(() => metrics.count('Published')).toThrow(/Published is by QoS/);
    expect(() => metrics.count('Resent', 1, 1)).toThrow(/Resent is not by QoS/);
  });
});

describe('PowertoolsLogger', () => {
  it('writes the In / Out interceptor lines as structured JSON with qos, id, dup, controller, topic', () => {
    const log = new PowertoolsLogger();
    const frame = { type: 'message', controller: 'monitor', topic: 'temp', data: 25.3, qos: 1, id: 'm1', dup: true };
    log.info('Out', { connectionId: 'c-1', ...frameSummary(frame) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'Out',
      service: SERVICE_NAME,
      connectionId: 'c-1',
      type: 'message',
      controller: 'monitor',
      topic: 'temp',
      qos: 1,
      id: 'm1',
      dup: true,
    });
    expect(lines[0]).toHaveProperty('timestamp');
    // The payload is not logged: only the summary.
    expect(lines[0]).not.toHaveProperty('data');
  });
});

describe('wiring', () => {
  it('writes EMF only inside Lambda; elsewhere (the local runtime) metrics go nowhere unless a host passes its own', () => {
    expect(defaultMetrics({})).toBe(noopMetrics);
    expect(defaultMetrics({ AWS_LAMBDA_FUNCTION_NAME: 'qosgate-Publish', CALLBACK_URL: 'https://a1.execute-api.eu-west-1.amazonaws.com/prod' })).toBeInstanceOf(PowertoolsMetrics);
  });

  it('takes the stage dimension from the callback URL the stack gives every function', () => {
    expect(stageOf('https://a1.execute-api.eu-west-1.amazonaws.com/prod')).toBe('prod');
    expect(stageOf('http://127.0.0.1:3001/dev/')).toBe('dev');
    expect(() => stageOf('https://a1.execute-api.eu-west-1.amazonaws.com/')).toThrow(/has no stage/);
  });

  it('flushes once per invocation, after the handler, failed or not', async () => {
    const metrics = new MemoryMetrics();
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const ok = flushingMetrics(async () => 'done', metrics, log);
    expect(await ok(undefined as never)).toBe('done');
    expect(metrics.flushes).toBe(1);
    const failing = flushingMetrics(async () => {
      throw new Error('boom');
    }, metrics, log);
    await expect(failing(undefined as never)).rejects.toThrow('boom');
    expect(metrics.flushes).toBe(2);
  });

  it('never lets a failing flush fail the invocation', async () => {
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const broken = { ...noopMetrics, flush: () => { throw new Error('emf'); } };
    expect(await flushingMetrics(async () => 'done', broken, log)(undefined as never)).toBe('done');
    expect(log.error).toHaveBeenCalledWith('Metrics flush failed', { error: 'Error: emf' });
  });
});
