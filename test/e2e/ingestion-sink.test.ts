import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSinkRecords } from '../../lambdas/adapters/file/file-sink-writer.js';
import type { SinkRecord } from '../../lambdas/core/sink-record.js';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import { freePort } from '../support/free-port.js';
import { startRuntimeProcess, type RuntimeProcess } from '../support/runtime-process.js';
import type { TestClient } from '../support/ws-client.js';

/**
 * The ingestion sink end to end on the local runtime (PROTOCOL §11): a client's publish writes
 * its history record, DynamoDB Local's stream hands it to the Sink function (its IAM policy from
 * the template enforced), which puts it to the local Firehose, which writes the JSON line in the
 * partition layout under the runtime's data folder.
 * The history record is written by the publish before its msgack (lambdas/app/ingest.ts).
 */

/** Waits until the sink holds every one of `messageIds` (the Sink runs after the stream's poll). */
async function sinkHolding(dir: string, messageIds: string[], timeoutMs = 30_000): Promise<Array<{ partition: string; record: SinkRecord }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await readSinkRecords(dir);
    const ids = new Set(stored.map((s) => s.record.messageId));
    if (messageIds.every((id) => ids.has(id))) return stored;
    if (Date.now() > deadline) throw new Error(`the sink in ${dir} holds ${[...ids].join(', ') || 'nothing'}, not all of ${messageIds.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function publishQos1(client: TestClient, id: string, topic: string, data: unknown): Promise<void> {
  client.send({ action: 'publish', controller: 'monitor', topic, data, qos: 1, id });
  await client.waitFor((c) => c.json().find((f) => f.type === 'msgack' && f.id === id), 10_000, `the msgack of ${id}`);
}

describe('ingestion sink on the local runtime', () => {
  const e2e = useE2eRuntime();

  it('writes each acked publish as its §11 record, in controller=/topic=/hour= folders of JSON lines', async () => {
    const sink = e2e.runtime.sink!;
    expect(sink.dir).toBeTruthy();
    const publisher = await e2e.connect({ controllers: 'monitor', clientId: 'probe-1' });
    await publishQos1(publisher, 'r-1', 'room/1', { celsius: 21.5 });
    await publishQos1(publisher, 'r-2', 'hall', 7);
    publisher.send({ action: 'publish', controller: 'monitor', topic: 'hall', data: 'qos0', qos: 0 });

    const stored = await sinkHolding(sink.dir, ['probe-1:r-1', 'probe-1:r-2']);
    const one = stored.find((s) => s.record.messageId === 'probe-1:r-1')!;
    expect(Object.keys(one.record)).toEqual(['controller', 'topic', 'data', 'qos', 'clientId', 'receivedAt', 'messageId']);
    expect(one.record).toMatchObject({ controller: 'monitor', topic: 'room/1', data: { celsius: 21.5 }, qos: 1, clientId: 'probe-1' });
    const hour = new Date(one.record.receivedAt).toISOString().slice(0, 13);
    expect(one.partition).toBe(`controller=monitor/topic=room%2F1/hour=${hour}`);
    expect(stored.find((s) => s.record.messageId === 'probe-1:r-2')!.partition).toMatch(/^controller=monitor\/topic=hall\/hour=/);
    // QoS 0 goes too (best effort), with a server id.
    await expect.poll(async () => (await readSinkRecords(sink.dir)).some((s) => s.record.data === 'qos0'), { timeout: 30_000 }).toBe(true);
    expect(sink.recordsWritten()).toBeGreaterThanOrEqual(3);
    // The dashboard shows the count (its state read).
    const state = (await (await fetch(`${e2e.runtime.dashboardUrl}_qosgate/state`)).json()) as { sinkRecords?: number };
    expect(state.sinkRecords).toBe(sink.recordsWritten());
  }, 60_000);
});

describe('every acked QoS 1 message is in the sink across a SIGKILL of the runtime right after the ack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'qosgate-sink-kill-'));
  const runtimes: RuntimeProcess[] = [];
  const startRuntime = async (port: number): Promise<RuntimeProcess> => {
    const runtime = await startRuntimeProcess(['--port', String(port), '--data', dataDir, '--quiet']);
    runtimes.push(runtime);
    return runtime;
  };
  afterAll(async () => {
    for (const r of runtimes) await r.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('finds them all in <data>/sink after the runtime is started again on the same data folder', async () => {
    const port = await freePort();
    const first = await startRuntime(port);
    // `npm start` says where the sink files go.
    expect(first.output()).toContain(`Ingestion sink  ${join(dataDir, 'sink')}`);
    const { TestClient } = await import('../support/ws-client.js');
    const device = await TestClient.connect(first.url, { controllers: 'monitor', clientId: 'meter-9' });
    const acked: string[] = [];
    for (let i = 1; i <= 20; i++) {
      await publishQos1(device, `k-${i}`, 'power', i);
      acked.push(`meter-9:k-${i}`);
    }
    // Right after the last ack, the whole runtime (node, DynamoDB Local, the stream poller) dies at once.
    await first.kill('SIGKILL');

    const second = await startRuntime(port);
    const stored = await sinkHolding(join(dataDir, 'sink'), acked, 60_000);
    const ids = stored.map((s) => s.record.messageId);
    for (const id of acked) expect(ids, id).toContain(id);
    // At least once: a record handed to the sink before the kill but not yet checkpointed may be there twice; never with other content.
    for (const id of acked) {
      const copies = stored.filter((s) => s.record.messageId === id).map((s) => JSON.stringify(s.record));
      expect(new Set(copies).size, id).toBe(1);
    }
    await second.kill('SIGINT');
    expect(second.child.exitCode).toBe(0);
  }, 240_000);
});

describe('npm start with the sink, stopped as a terminal stops it', () => {
  it('Ctrl-C (SIGINT to the whole process group, DynamoDB Local included) exits 0 without reporting the stream poll it cut off; the banner leaves the stack’s sinkEnabled out of the policy', async () => {
    const runtime = await startRuntimeProcess(['--port', String(await freePort()), '--in-memory']);
    try {
      expect(runtime.output()).toContain('Ingestion sink');
      expect(runtime.output()).not.toContain('sinkEnabled');
      // The poller reads the stream every 100 ms: give it a few rounds, then stop as a terminal does.
      await new Promise((r) => setTimeout(r, 1_000));
      const exited = new Promise<number | null>((resolve) => runtime.child.once('exit', (code) => resolve(code)));
      process.kill(-(runtime.child.pid as number), 'SIGINT');
      expect(await exited).toBe(0);
      expect(runtime.output()).toContain('SIGINT: stopping');
      expect(runtime.output()).not.toMatch(/stream of \S+\) failed/);
    } finally {
      await runtime.kill('SIGKILL');
    }
  }, 120_000);
});
