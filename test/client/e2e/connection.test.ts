import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { QosgateClient } from '../../../client/client.js';
import { ConnectionRefusedError, FrameTooLargeError, ServerRefusedError } from '../../../client/errors.js';
import { connect, createClient, type NodeClientOptions } from '../../../client/node.js';
import { DEFAULT_MAX_DATA_BYTES } from '../../../lambdas/core/policy.js';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime.js';
import { waitUntil } from '../support/controlled-ws.js';

/**
 * The client's connection against the whole service on this machine: what a refused
 * handshake says, what happens to a frame over API Gateway's 32 KB, and two clients that
 * share a clientId.
 */
const QUICK: Partial<NodeClientOptions> = { reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, ackTimeoutMs: 500, resendCapMs: 1000 };

describe('the client connection against the local runtime', { timeout: 60_000 }, () => {
  let runtime: LocalRuntime;
  const clients: QosgateClient[] = [];
  const track = <T extends QosgateClient>(client: T): T => (clients.push(client), client);

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true });
  }, 120_000);
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });
  afterAll(async () => {
    await runtime?.stop();
  }, 60_000);

  it('a refused handshake rejects connect() with the status and the server\'s reason', async () => {
    const error = await connect({ url: runtime.url, controllers: ['nope'], ...QUICK }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect(error).toMatchObject({ status: 400, reason: 'unknown controller: nope' });
    expect((error as Error).message).toBe(`could not connect to ${runtime.url}: refused (400): unknown controller: nope`);
  });

  it('a publish over 32 KB is refused before sending, the connection stays; data at the server\'s limit fits one frame and is taken, one byte more is TOO_LARGE', async () => {
    const client = track(await connect({ url: runtime.url, ...QUICK }));
    const closes: unknown[] = [];
    client.events.on('close', (c) => closes.push(c));
    const sent: string[] = [];
    client.events.on('frameOut', (f) => sent.push(f));

    for (const qos of [0, 1] as const) {
      const error = await client.publish('monitor', 'big', 'x'.repeat(40_000), { qos }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FrameTooLargeError);
    }
    expect(sent).toEqual([]);

    // The longest topic there is, and data of exactly the default limit, serialized (the quotes count).
    const topic = 't'.repeat(128);
    await client.publish('monitor', topic, 'x'.repeat(DEFAULT_MAX_DATA_BYTES - 2), { qos: 2, retain: false });
    const tooMuch = await client.publish('monitor', topic, 'x'.repeat(DEFAULT_MAX_DATA_BYTES - 1), { qos: 1 }).catch((e: unknown) => e);
    expect(tooMuch).toBeInstanceOf(ServerRefusedError);
    expect(tooMuch).toMatchObject({ serverCode: 'TOO_LARGE' });
    expect(client.connected).toBe(true);
    expect(closes).toEqual([]); // never a close 1009
  });

  it('two clients with one clientId: each sees the takeovers, and each reconnect after one waits longer', async () => {
    const options = { url: runtime.url, clientId: 'e2e-twin', random: () => 0.5, ...QUICK };
    const first = track(createClient(options));
    const takeovers: Array<{ count: number; delayMs: number }> = [];
    first.events.on('takeover', (t) => takeovers.push(t));
    await first.open();
    const second = track(createClient(options));
    const secondTakeovers: unknown[] = [];
    second.events.on('takeover', (t) => secondTakeovers.push(t));
    await second.open();

    // Five takeovers, each a $connect through the runtime: a bound for a loaded machine, not a speed check.
    await waitUntil(() => takeovers.length >= 3 && secondTakeovers.length >= 2, 'three takeovers of the first client', 45_000);
    // Equal jitter at 0.5 on a window doubling from 100 ms to the 400 ms cap: 75, 150, 300.
    expect(takeovers.slice(0, 3)).toEqual([
      { clientId: 'e2e-twin', count: 1, delayMs: 75 },
      { clientId: 'e2e-twin', count: 2, delayMs: 150 },
      { clientId: 'e2e-twin', count: 3, delayMs: 300 },
    ]);
  }, 60_000);
  it('connect({ will }) and close(): a clean goodbye publishes no will (presence says client disconnect); a client that vanishes has its will published', async () => {
    const watcher = track(await connect({ url: runtime.url, qos: 1, ...QUICK }));
    const seen: Array<{ controller: string; data: unknown }> = [];
    watcher.on('*', '*', (m) => void seen.push({ controller: m.controller, data: m.data }));
    await watcher.subscribe('monitor', 'status/dev-c', { qos: 1 });
    await watcher.subscribe('$presence', 'dev-c', { qos: 1 });
    const disconnects = () => seen.filter((m) => m.controller === '$presence' && (m.data as { event: string }).event === 'disconnected');

    const polite = await connect({ url: runtime.url, clientId: 'dev-c', will: { controller: 'monitor', topic: 'status/dev-c', data: 'offline', qos: 1 }, ...QUICK });
    await polite.close();
    await waitUntil(() => disconnects().length === 1, 'the disconnected presence');
    expect(disconnects()[0]?.data).toMatchObject({ reason: 'client disconnect' });
    // The will would have come before the presence message, on the same connection.
    expect(seen.filter((m) => m.controller === 'monitor')).toEqual([]);

    const rude = await connect({ url: runtime.url, clientId: 'dev-c', will: { controller: 'monitor', topic: 'status/dev-c', data: { state: 'offline' }, qos: 1 }, reconnect: false });
    // No close frame: the socket is destroyed under the client, as when a device loses power.
    (rude as unknown as { socket: { _socket?: { destroy(): void } } }).socket._socket?.destroy();
    await waitUntil(() => disconnects().length === 2, 'the second disconnected presence');
    expect(seen.filter((m) => m.controller === 'monitor').map((m) => m.data)).toEqual([{ state: 'offline' }]);
    await rude.close();
  });
});
