/**
 * A quick probe of the local runtime's QoS throughput (issue 13 point 4), for profiling the
 * runtime's hot path between changes: `npm start -- --port 0 --in-memory --quiet` in a child
 * process (as a person runs it), then 1 publisher -> K subscribers, `window` publishes in flight,
 * 1 KB payloads, subscribers batching msgacks as the bench does. Prints deliveries/s and latency.
 * Not the bench (`npm run bench` measures the figures README quotes); this only compares runs.
 *
 *   npx tsx tools/local-throughput.ts [--qos 1] [--subscribers 10] [--messages 500] [--window 10] [--runs 3] [--policy JSON]
 *   QOSGATE_PROBE_NODE_ARGS=--cpu-prof npx tsx tools/local-throughput.ts   (profile the runtime)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BenchSocket, connectMany } from '../bench/client.js';

const { values } = parseArgs({
  options: {
    qos: { type: 'string', default: '1' },
    subscribers: { type: 'string', default: '10' },
    messages: { type: 'string', default: '500' },
    window: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    /** Passed to npm start as --policy, e.g. '{"maxInflight":0}' (flow control off). */
    policy: { type: 'string' },
  },
});
const qos = Number(values.qos) as 1 | 2;
const k = Number(values.subscribers);
const m = Number(values.messages);
const window = Number(values.window);
const runs = Number(values.runs);
const PAYLOAD = 'x'.repeat(1000);

/** CPU ms (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** The process and its descendants (DynamoDB Local's JVM is one). */
function family(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // not Linux
  }
  return [pid, ...children.flatMap(family)];
}

async function startRuntime(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const nodeArgs = (process.env.QOSGATE_PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const startArgs = values.policy ? ['--policy', values.policy] : [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'local/start.ts', '--port', '0', '--in-memory', '--quiet', ...startArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  child.on('exit', () => process.env.QOSGATE_PROBE_VERBOSE && process.stderr.write(output));
  const deadline = Date.now() + 90_000;
  while (!/WebSocket\s+(ws:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`runtime did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /WebSocket\s+(ws:\/\/\S+)/.exec(output)?.[1] as string;
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

async function once(url: string, run: number, pid: number): Promise<{ perSecond: number; p50: number; p99: number; missing: number; nodeCpuMs: number; javaCpuMs: number }> {
  const topic = `probe-${run}-${Date.now()}`;
  const { sockets: subs, errors } = await connectMany(url, { qos: '2', controllers: 'monitor' }, k, 10, (s) =>
    s.request({ action: 'subscribe', controller: 'monitor', topic, qos: 2 }, (f) => f.type === 'suback').then(() => undefined),
  );
  if (errors.length > 0) throw new Error(errors[0]);
  const publisher = await BenchSocket.connect(url, { qos: '2' });
  await publisher.request({ action: 'publish', controller: 'monitor', topic: `${topic}-warm`, data: {}, qos: 1, id: 'warm' }, (f) => f.type === 'msgack');
  const sentAt: number[] = [];
  const received = new Uint32Array(m);
  const acked = new Uint8Array(m);
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let last = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const publishNext = () => {
    const seq = next++;
    sentAt[seq] = performance.now();
    publisher.send({ action: 'publish', controller: 'monitor', topic, data: { seq, sample: PAYLOAD }, qos, id: `p-${seq}` });
  };
  const complete = (seq: number) => {
    if (received[seq] !== k || acked[seq] !== 1) return;
    done += 1;
    if (done === m) finish();
    else if (next < m) publishNext();
  };
  publisher.onFrame = (f) => {
    if (f.type === 'pubrec' && f.id) publisher.send({ action: 'pubrel', id: f.id });
    else if (f.type === 'msgack' && f.id?.startsWith('p-')) {
      const seq = Number(f.id.slice(2));
      if (acked[seq] === 0) {
        acked[seq] = 1;
        complete(seq);
      }
    }
  };
  for (const sub of subs) {
    const seen = new Set<number>();
    sub.onFrame = (f, at) => {
      if (f.type === 'message') {
        if (f.qos === 1 && f.id) sub.ack(f.id, 100, 5000);
        if (f.qos === 2 && f.id) sub.send({ action: 'pubrec', id: f.id });
        const seq = (f.data as { seq: number }).seq;
        if (seen.has(seq)) return;
        seen.add(seq);
        latencies.push(at - (sentAt[seq] as number));
        last = Math.max(last, at);
        received[seq] = (received[seq] as number) + 1;
        complete(seq);
      } else if (f.type === 'pubrel' && f.id) sub.ack(f.id, 100, 5000);
    };
  }
  const [node, ...rest] = family(pid);
  const cpu = () => ({ node: cpuMs(node as number), java: rest.reduce((n, p) => n + cpuMs(p), 0) });
  const cpuBefore = cpu();
  const started = performance.now();
  for (let i = 0; i < Math.min(window, m); i += 1) publishNext();
  const timer = setTimeout(finish, 120_000);
  await finished;
  clearTimeout(timer);
  const seconds = (last - started) / 1000;
  const cpuAfter = cpu();
  for (const sub of subs) sub.flushAcks();
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all([publisher.close(), ...subs.map((s) => s.close())]);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const per = (ms: number) => Math.round((ms / latencies.length) * 100) / 100;
  return {
    perSecond: Math.round(latencies.length / seconds),
    p50: Math.round(at(50)),
    p99: Math.round(at(99)),
    missing: m * k - latencies.length,
    nodeCpuMs: per(cpuAfter.node - cpuBefore.node),
    javaCpuMs: per(cpuAfter.java - cpuBefore.java),
  };
}

const runtime = await startRuntime();
try {
  for (let run = 0; run < runs; run += 1) {
    const r = await once(runtime.url, run, runtime.pid);
    console.log(
      `QoS ${qos}, 1 -> ${k}, ${m} messages, ${window} in flight: ${r.perSecond} deliveries/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
        `CPU per delivery: runtime ${r.nodeCpuMs} ms, DynamoDB Local ${r.javaCpuMs} ms${r.missing ? `, ${r.missing} missing` : ''}`,
    );
  }
} finally {
  await runtime.stop();
}
