import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../../lambdas/adapters/dynamodb/schema.js';
import type { QosgateClient } from '../../../client/client.js';
import type { InboundMessage } from '../../../client/handlers.js';
import { connect, createClient, type NodeClientOptions } from '../../../client/node.js';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOutbox } from '../../../client/file-outbox.js';
import type { WebSocketConstructor } from '../../../client/transport.js';
import { pause } from '../../support/ws-client.js';
import { ControlledSocket, controlledWebSocket, waitUntil } from '../support/controlled-ws.js';

/**
 * The client library against the whole service on this machine (local runtime, API Gateway
 * emulation, the Lambda handlers, DynamoDB Local, the resend sweep), with the server's ack
 * timeout shortened through the same CDK context a deployment uses.
 */
const FAST = {
  'qosgate:policy': { ackTimeoutMs: 300, backoffCapMs: 600 },
  'qosgate:sweep': { intervalMs: 100 },
};
/** Client timings to match: quick reconnects and resends. */
const QUICK: Partial<NodeClientOptions> = { reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ackTimeoutMs: 500, resendCapMs: 1000 };

/** Waits until no pending entry has one of these message ids (a Scan: the test's table is small). */
async function waitUntilNonePending(runtime: LocalRuntime, ids: string[]): Promise<void> {
  const table = Object.values(runtime.environments).map((env) => env[TABLES.pending.envVar]).find((name) => name !== undefined) as string;
  const client = new DynamoDBClient({ endpoint: runtime.dynamodbEndpoint });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { Items = [] } = await client.send(new ScanCommand({ TableName: table, ProjectionExpression: 'id' }));
      const left = Items.map((item) => item.id?.S).filter((id) => id !== undefined && ids.includes(id));
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`still pending after the acks: ${left.join(', ')}`);
      await pause(50);
    }
  } finally {
    client.destroy();
  }
}

describe('the client library against the local runtime', { timeout: 60_000 }, () => {
  let runtime: LocalRuntime;
  const clients: QosgateClient[] = [];
  const track = <T extends QosgateClient>(client: T): T => (clients.push(client), client);

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true, context: FAST });
  }, 120_000);
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });
  afterAll(async () => {
    await runtime?.stop();
  }, 60_000);

  /** A subscriber that records what its handler got. */
  const subscriber = async (topic: string, options: Partial<NodeClientOptions> = {}) => {
    const got: InboundMessage[] = [];
    const client = track(await connect({ url: runtime.url, qos: 2, ...QUICK, ...options }));
    client.on('monitor', topic, (m) => void got.push(m));
    await client.subscribe('monitor', topic, { qos: 2 });
    return { client, got };
  };

  it('QoS 2 exactly once to the application, with the connection cut between message and pubrel', async () => {
    let cutDone = false;
    const transport = controlledWebSocket((socket, frame) => {
      // Cut right after the pubrec for the message is written: the server's pubrel cannot have come yet.
      if (!cutDone && (JSON.parse(frame) as { action?: string }).action === 'pubrec') {
        cutDone = true;
        socket.cut();
      }
    });
    const runs: InboundMessage[] = [];
    const receiver = track(createClient({ url: runtime.url, qos: 2, clientId: 'e2e-receiver', session: 'persistent', WebSocket: transport.WebSocket, ...QUICK }));
    receiver.on('monitor', 'billing', (m) => void runs.push(m));
    await receiver.open();
    await receiver.subscribe('monitor', 'billing', { qos: 2 });

    const publisher = track(await connect({ url: runtime.url, ...QUICK }));
    await publisher.publish('monitor', 'billing', { cents: 995 }, { qos: 2 });

    // Reconnected (same clientId, persistent), resumed: the server's pubrel (or, had the pubrec
    // been lost, the message again) arrives on the new connection and is answered.
    await waitUntil(() => transport.sockets.length >= 2 && transport.sockets[1]!.received.some((f) => /"type":"(pubrel|message)"/.test(f)), 'the second connection to get the QoS 2 step again');
    const [first, second] = transport.sockets as [NonNullable<(typeof transport.sockets)[0]>, NonNullable<(typeof transport.sockets)[1]>];
    expect(cutDone).toBe(true);
    expect(first.received.filter((f) => f.includes('"type":"pubrel"'))).toEqual([]); // cut before pubrel
    await waitUntil(() => second.received.some((f) => f.includes('"type":"pubrel"')), 'pubrel on the second connection');
    await pause(1500); // long enough for several server resends, were anything left unanswered
    expect(runs.map((m) => m.data)).toEqual([{ cents: 995 }]);
    const pubrels = second.received.filter((f) => f.includes('"type":"pubrel"')).length;
    await pause(1000);
    expect(second.received.filter((f) => f.includes('"type":"pubrel"'))).toHaveLength(pubrels); // completed: no more resends
  });

  it('QoS 2 exactly once across a restart: the process dies after its handler ran, before the server had the pubrec; the next run on the same file store does not run it again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qosgate-e2e-restart-'));
    try {
      const path = join(dir, 'outbox.json');
      let pubrecDropped = false;
      /** The first process: its pubrec never leaves, the connection is cut instead (the process dies). */
      class DyingAtPubrec extends ControlledSocket {
        constructor(url: string) {
          super(url, () => undefined);
        }
        override send(data: string): void {
          if ((JSON.parse(data) as { action?: string }).action === 'pubrec') {
            pubrecDropped = true;
            return this.cut();
          }
          super.send(data);
        }
      }
      const runs: Array<[string, InboundMessage]> = [];
      const options = { url: runtime.url, qos: 2 as const, clientId: 'e2e-restarting', session: 'persistent' as const, ...QUICK };
      const first = track(createClient({ ...options, outbox: new FileOutbox(path), WebSocket: DyingAtPubrec as unknown as WebSocketConstructor }));
      first.on('monitor', 'payroll', (m) => void runs.push(['first', m]));
      await first.open();
      await first.subscribe('monitor', 'payroll', { qos: 2 });

      const publisher = track(await connect({ url: runtime.url, ...QUICK }));
      const published = publisher.publish('monitor', 'payroll', { cents: 120_000 }, { qos: 2 });
      await waitUntil(() => pubrecDropped, 'the first run to handle it and try its pubrec');
      await first.close(); // the process is gone: nothing more from it
      expect(runs).toHaveLength(1);

      const second = track(createClient({ ...options, outbox: new FileOutbox(path) }));
      const secondIn: string[] = [];
      second.events.on('frameIn', (f) => secondIn.push(f));
      second.on('monitor', 'payroll', (m) => void runs.push(['second', m]));
      await second.open();
      await published; // the server holds it (the publisher's QoS 2 is complete once it is handed on)
      // The message comes again (the server never had the pubrec), is answered pubrec without the handler, then pubrel.
      await waitUntil(() => secondIn.some((f) => f.includes('"type":"pubrel"')), 'the pubrel on the second run');
      expect(secondIn.some((f) => f.includes('"type":"message"') && f.includes('"dup":true'))).toBe(true);
      await pause(1000);
      expect(runs.map(([who, m]) => [who, m.data, m.dup])).toEqual([['first', { cents: 120_000 }, false]]);
      expect(await new FileOutbox(path).listIncoming()).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('QoS 2: a publish cut off before its answer is resent with the same id after the reconnect, answered once, delivered once', async () => {
    const { got } = await subscriber('invoices');
    let cutDone = false;
    const sent: string[] = [];
    const transport = controlledWebSocket((socket, frame) => {
      sent.push(frame);
      if (!cutDone && frame.includes('"action":"publish"')) {
        cutDone = true;
        socket.cut();
      }
    });
    const publisher = track(await connect({ url: runtime.url, clientId: 'e2e-publisher', session: 'persistent', WebSocket: transport.WebSocket, ...QUICK }));
    let resolved = 0;
    await publisher.publish('monitor', 'invoices', { n: 1 }, { qos: 2 }).then(() => resolved++);

    const publishes = sent.map((f) => JSON.parse(f) as Record<string, unknown>).filter((f) => f.action === 'publish');
    expect(transport.sockets.length).toBeGreaterThanOrEqual(2);
    expect(publishes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(publishes.map((p) => p.id)).size).toBe(1); // the same id every time
    expect(publishes.slice(1).every((p) => p.dup === true)).toBe(true);
    await waitUntil(() => got.length >= 1, 'the subscriber to get it');
    await pause(1500);
    expect(resolved).toBe(1);
    expect(got.map((m) => m.data)).toEqual([{ n: 1 }]);
  });

  it('QoS 1: a publish cut off before its msgack is resent with the same id and resolves once; the recipient has it (at least once)', async () => {
    const { got } = await subscriber('orders');
    let cutDone = false;
    const sent: string[] = [];
    const transport = controlledWebSocket((socket, frame) => {
      sent.push(frame);
      if (!cutDone && frame.includes('"action":"publish"')) {
        cutDone = true;
        socket.cut();
      }
    });
    const publisher = track(await connect({ url: runtime.url, WebSocket: transport.WebSocket, ...QUICK }));
    let resolved = 0;
    await publisher.publish('monitor', 'orders', 'order-7', { qos: 1 }).then(() => resolved++);
    const ids = sent.map((f) => JSON.parse(f) as Record<string, unknown>).filter((f) => f.action === 'publish').map((f) => f.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ids).size).toBe(1);
    await waitUntil(() => got.length >= 1, 'the subscriber to get it');
    expect(resolved).toBe(1);
    expect(new Set(got.map((m) => m.data))).toEqual(new Set(['order-7']));
  });

  it('a handler that throws gets the message again (no ack), and once it returns the resends stop', async () => {
    const publisher = track(await connect({ url: runtime.url, ...QUICK }));
    const receiver = track(await connect({ url: runtime.url, qos: 1, ...QUICK }));
    const calls: InboundMessage[] = [];
    receiver.on('monitor', 'alarms', (m) => {
      calls.push(m);
      if (calls.length === 1) throw new Error('the application was not ready');
    });
    await receiver.subscribe('monitor', 'alarms', { qos: 1 });
    await publisher.publish('monitor', 'alarms', 'fire', { qos: 1 });
    await waitUntil(() => calls.length >= 2, 'the message to come again');
    expect(calls[0]).toMatchObject({ data: 'fire', qos: 1, dup: false });
    expect(calls[1]).toMatchObject({ data: 'fire', qos: 1, dup: true, id: calls[0]!.id });
    await pause(1500);
    expect(calls).toHaveLength(2);
  });

  it('acks sent close together go as one msgack frame with ids, and the server takes it', async () => {
    // The publisher keeps the default 10 s ack timeout: its five publishes are handled
    // concurrently, and one resent after QUICK's 500 ms on a busy machine would be handed on again
    // as a new message (PROTOCOL §4: QoS 1 duplicates may reach recipients), which is not what this counts.
    const publisher = track(await connect({ url: runtime.url, ...QUICK, ackTimeoutMs: 10_000 }));
    // A window well under the server's 300 ms ack timeout here, as the default 25 ms is under its 10 s.
    const receiver = track(await connect({ url: runtime.url, qos: 1, ackBatchMs: 150, ...QUICK }));
    const got: InboundMessage[] = [];
    const acks: Array<{ ids: string[] }> = [];
    receiver.events.on('frameOut', (frame) => {
      const parsed = JSON.parse(frame) as { action: string; ids: string[] };
      if (parsed.action === 'msgack') acks.push(parsed);
    });
    receiver.on('monitor', 'batch', (m) => void got.push(m));
    await receiver.subscribe('monitor', 'batch', { qos: 1 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => publisher.publish('monitor', 'batch', n, { qos: 1 })));
    await waitUntil(() => new Set(acks.flatMap((a) => a.ids)).size >= 5, 'the acks');
    const firstSeen = got.filter((m) => !m.dup);
    expect(firstSeen.map((m) => m.data).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(acks.length).toBeLessThan(5); // coalesced
    expect(acks.some((a) => a.ids.length >= 2)).toBe(true);
    expect(new Set(acks.flatMap((a) => a.ids))).toEqual(new Set(firstSeen.map((m) => m.id)));
    // The server took the batched acks: none of the messages is pending any more, so nothing
    // more is resent. (A resend already on its way when an ack came may still arrive: QoS 1 may
    // duplicate, and with frames handled concurrently such a race is as likely here as on AWS.)
    await waitUntilNonePending(runtime, firstSeen.map((m) => m.id as string));
  });

  it('re-opens its connection before the time limit (here 1 s) without losing a message, again and again', async () => {
    const publisher = track(await connect({ url: runtime.url, ...QUICK }));
    const got = new Set<unknown>();
    let opens = 0;
    const receiver = track(createClient({ url: runtime.url, qos: 1, clientId: 'e2e-long-lived', session: 'persistent', maxConnectionMs: 1000, ...QUICK }));
    receiver.events.on('open', () => opens++);
    receiver.on('monitor', 'ticks', (m) => void got.add(m.data));
    await receiver.open();
    await receiver.subscribe('monitor', 'ticks', { qos: 1 });
    for (let n = 1; n <= 12; n++) {
      await publisher.publish('monitor', 'ticks', n, { qos: 1 });
      await pause(250);
    }
    await waitUntil(() => got.size === 12, 'every tick');
    expect([...got].sort((a, b) => (a as number) - (b as number))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(opens).toBeGreaterThanOrEqual(3);
  });
});
