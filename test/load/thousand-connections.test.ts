import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { peakMemoryMiB, startRuntimeProcess, type RuntimeProcess } from '../support/runtime-process.js';
import { TestClient } from '../support/ws-client.js';

const CONNECTIONS = 1000;
const READINGS = 5;

/**
 * Load: 1,000 concurrent QoS 1 monitors on the local runtime (its own process, so its memory
 * is its own), five readings from a sensor, and every message accounted for: delivered and
 * acked, or still pending in the table. The runtime's peak memory is measured and printed
 * (a measurement, not an assertion: figures belong to the bench and the README).
 */
describe('1,000 concurrent connections with QoS 1 traffic', () => {
  let runtime: RuntimeProcess | undefined;
  const clients: TestClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await runtime?.kill('SIGKILL');
  }, 60_000);

  it('accounts for every message', async () => {
    const port = await freePort();
    runtime = await startRuntimeProcess(['--port', String(port), '--in-memory', '--quiet']);
    for (let i = 0; i < CONNECTIONS; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, CONNECTIONS - i) }, (_, j) =>
          TestClient.connect(runtime!.url, { controllers: 'monitor', qos: '1', clientId: `load-${i + j}`, session: 'persistent' }),
        ),
      );
      clients.push(...batch);
    }
    const sensor = await TestClient.connect(runtime.url, { controllers: 'sensor', qos: '1' });
    clients.push(sensor);
    for (let t = 0; t < READINGS; t += 1) {
      sensor.send({ action: 'publish', controller: 'sensor', topic: 'temp', data: t, qos: 1, id: `r-${t}` });
    }
    // QoS 1 from the sensor: each reading is acked once every recipient's entry is stored.
    await sensor.waitFor((c) => c.json().filter((f) => f.type === 'msgack').length === READINGS, 120_000, 'the sensor acks');

    // Every monitor gets every reading; even-numbered monitors ack, odd ones do not.
    await Promise.all(clients.slice(0, CONNECTIONS).map((c) => c.waitFor((x) => new Set(x.messages().map((m) => m.data)).size === READINGS, 120_000, 'five readings')));
    const acked = new Map<string, string[]>();
    clients.slice(0, CONNECTIONS).forEach((c, i) => {
      if (i % 2 === 1) return;
      const ids = [...new Set(c.messages().map((m) => m.id as string))];
      acked.set(`load-${i}`, ids);
      c.send({ action: 'msgack', ids });
    });
    // A ping round trip per acking client: its msgack was handled before the pong came.
    await Promise.all(
      clients.slice(0, CONNECTIONS).filter((_, i) => i % 2 === 0).map(async (c) => {
        c.send({ action: 'ping' });
        await c.waitFor((x) => x.json().some((f) => f.type === 'pong'), 60_000, 'pong');
      }),
    );

    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: runtime.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    let stillPending = 0;
    for (let i = 0; i < CONNECTIONS; i += 1) {
      const out = await doc.send(new QueryCommand({ TableName: 'qosgate-dev-Pending', KeyConditionExpression: 'sessionId = :s', ExpressionAttributeValues: { ':s': `load-${i}` } }));
      const pendingIds = new Set((out.Items ?? []).map((item) => item.id as string));
      const received = new Set(clients[i]!.messages().map((m) => m.id as string));
      expect(received.size).toBe(READINGS);
      if (i % 2 === 0) {
        // Delivered and acked: nothing left.
        expect(pendingIds.size).toBe(0);
      } else {
        // Delivered, not acked: every one still pending, to be resent.
        expect(pendingIds).toEqual(received);
        stillPending += pendingIds.size;
      }
    }
    expect(stillPending).toBe((CONNECTIONS / 2) * READINGS);
    doc.destroy();

    const memory = peakMemoryMiB(runtime.child.pid as number);
    console.log(`[load] ${CONNECTIONS} connections, ${CONNECTIONS * READINGS} QoS 1 deliveries: runtime (node) peak RSS ${memory} MiB`);
    expect(memory).toBeGreaterThan(0);
  }, 300_000);
});
