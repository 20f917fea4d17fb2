import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryMetrics } from '../../lambdas/ports/metrics.js';
import { Harness } from '../support/harness.js';

/**
 * The handlers emit the metrics of lambdas/telemetry/metric-names.ts, through the Metrics port,
 * on the real handlers and DynamoDB Local (the harness), read back from a MemoryMetrics.
 */
describe('metrics the handlers emit', () => {
  const metrics = new MemoryMetrics();
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ metrics, policy: { attemptLimit: 2 } });
  });
  afterAll(() => h.close());
  beforeEach(() => metrics.clear());

  it('QoS 0: Published and Delivered by QoS, nothing stored', async () => {
    const sensor = await h.client({ controllers: 'sensor' });
    const monitor = await h.client({ controllers: 'monitor' });
    await h.send(sensor, 'sensor|temp|1');
    expect(metrics.of('Published')).toEqual([{ name: 'Published', value: 1, qos: 0 }]);
    expect(metrics.of('Delivered')).toEqual([{ name: 'Delivered', value: 1, qos: 0 }]);
    expect(metrics.total('PendingStored')).toBe(0);
    await h.disconnect(monitor);
    await h.disconnect(sensor);
  });

  it('QoS 1: PendingStored, Delivered QoS 1, then Acked and AckLatency from the entry\'s creation to the msgack', async () => {
    const sensor = await h.client({ controllers: 'sensor' });
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|2');
    expect(metrics.total('PendingStored')).toBe(1);
    expect(metrics.of('Delivered')).toEqual([{ name: 'Delivered', value: 1, qos: 1 }]);
    const [message] = h.messages(monitor);
    h.clock.advance(1234);
    await h.send(monitor, `monitor|msgack|${message!.id}`);
    expect(metrics.of('Acked')).toEqual([{ name: 'Acked', value: 1, qos: 1 }]);
    expect(metrics.of('AckLatency')).toEqual([{ name: 'AckLatency', value: 1234, qos: 1 }]);
    // A QoS 1 ack is a blind delete (issue 13: no read), so a repeated ack counts as acked again;
    // its AckLatency comes from the time in the id, as the first one's did.
    h.clock.advance(1);
    await h.send(monitor, `monitor|msgack|${message!.id}`);
    expect(metrics.total('Acked')).toBe(2);
    expect(metrics.of('AckLatency').map((m) => m.value)).toEqual([1234, 1235]);
    await h.disconnect(monitor);
    await h.disconnect(sensor);
  });

  it('QoS 2 publish: Published once, at the first publish, however often it is repeated', async () => {
    const publisher = await h.client();
    const charge = { action: 'publish', controller: 'monitor', topic: 'billing', data: 1, qos: 2, id: 'p-1' };
    await h.send(publisher, charge);
    await h.send(publisher, { ...charge, dup: true });
    expect(metrics.of('Published')).toEqual([{ name: 'Published', value: 1, qos: 2 }]);
    await h.disconnect(publisher);
  });

  it('the sweep: PendingDue, Resent, then DeadLettered at the attempt limit', async () => {
    const sensor = await h.client({ controllers: 'sensor' });
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await h.send(sensor, 'sensor|temp|3');
    h.clock.advance(10_000);
    await h.sweep();
    expect(metrics.total('PendingDue')).toBe(1);
    expect(metrics.total('Resent')).toBe(1);
    h.clock.advance(600_000);
    await h.sweep();
    expect(metrics.total('DeadLettered')).toBe(1);
    expect(metrics.total('Resent')).toBe(1);
    await h.disconnect(monitor);
    await h.disconnect(sensor);
  });

  it('GoneConnections: a recipient found gone while delivering', async () => {
    const sensor = await h.client({ controllers: 'sensor' });
    const monitor = await h.client({ controllers: 'monitor' });
    h.endpoint.markGone(monitor);
    await h.send(sensor, 'sensor|temp|4');
    expect(metrics.total('GoneConnections')).toBe(1);
    expect(metrics.total('Delivered')).toBe(0);
    await h.disconnect(sensor);
  });
});
