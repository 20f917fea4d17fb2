import { DynamoDbPendingStore } from '../lambdas/adapters/dynamodb/dynamodb-pending-store.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sweepDue } from '../lambdas/app/resend-sweep.js';
import { readPolicy, readSweep } from '../lambdas/config.js';
import type { PendingEntry } from '../lambdas/core/types.js';
import { productionDeps } from '../lambdas/entry/wiring.js';
import { RESEND } from '../lambdas/routes.js';
import { BenchSocket, connectMany, type Frame } from './client.js';
import { diffCounts, emptyCounts, meteredDynamoDbClient, sumCounts, type DynamoDbCounts } from './dynamodb-meter.js';
import type { RuntimeHost } from './host.js';
import { perDelivery, type PerDelivery } from './cost.js';
import { benchMark, cpuUse, type CpuUse } from './process-cpu.js';
import { percentile, round } from './stats.js';

export type Qos = 0 | 1 | 2;

/** How subscribers batch their msgacks: at this many ids, or this long after the first unacked one. */
/**
 * How subscribers batch their msgacks: at this many ids (the server takes 100 per frame), or
 * this long after the first unacked one (half the default 10 s ack timeout, so nothing is resent).
 */
export const ACK_BATCH = { maxIds: 100, maxDelayMs: 5000 };

/** Fan-out subscribers ack after the measurement in waves of this many. */
export const ACK_WAVE = 250;

/** The bench's payload: `data` of about this many bytes of JSON (issue 13 measures at 1 KB). */
export const PAYLOAD_BYTES = 1000;

/** `data` whose JSON is about `bytes` long: a sequence number and padding. */
export function payloadData(seq: number, bytes = PAYLOAD_BYTES): { seq: number; sample: string } {
  // `{"seq":N,"sample":""}` is 20 characters and the digits of N.
  return { seq, sample: 'x'.repeat(Math.max(0, bytes - 20 - String(seq).length)) };
}

/** The publish frame of the bench's payload. */
export function publishFrame(topic: string, qos: Qos, seq: number, id: string): object {
  return { action: 'publish', controller: 'monitor', topic, data: payloadData(seq), qos, ...(qos > 0 ? { id } : {}) };
}

async function subscribe(socket: BenchSocket, topic: string, qos: Qos): Promise<void> {
  await socket.request({ action: 'subscribe', controller: 'monitor', topic, qos }, (f) => f.type === 'suback' && f.topic === topic);
}

// ---------------------------------------------------------------------------------------------
// 1. One publisher to K subscribers at QoS 0, 1, 2 for M messages
// ---------------------------------------------------------------------------------------------

export interface ThroughputResult {
  qos: Qos;
  /** Flow control's cap the runtime ran with (0: off); the default unless the run says otherwise. */
  maxInflight: number;
  /** The runtime ran with `qosgate:firstSends: marker` (absent: the default layout, `reference`). */
  firstSends?: 'marker';
  subscribers: number;
  messages: number;
  window: number;
  /** Bytes of JSON in each publish's `data`. */
  payloadBytes: number;
  /**
   * How subscribers answered: `batched` as a client would (msgack of up to 100 ids or after a
   * delay, pubrec at once); `waves` (the 10,000-subscriber runs) once every message was in, each
   * subscriber's ids in one frame, a few hundred subscribers at a time.
   */
  acks: 'batched' | 'waves';
  deliveries: number;
  duplicates: number;
  missing: number;
  /** msgack frames the subscribers sent, and the ids they carried on average. */
  ackFrames: number;
  idsPerAck: number;
  seconds: number;
  deliveriesPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** The cores each process kept busy from the first publish until the last message was done (acks flushed after it are not in it). */
  cpu: CpuUse;
  perDelivery: PerDelivery;
}

export interface ThroughputOptions {
  qos: Qos;
  k: number;
  m: number;
  /** Publishes in flight. */
  window: number;
  /** The cap the runtime runs with (for the report; the runtime's context sets it). */
  maxInflight: number;
  /** The first-send layout the runtime runs with (for the report; the runtime's context sets it). */
  firstSends?: 'marker';
  /**
   * Subscribers already connected (claimed QoS 2) and subscribed at QoS 2 to `topic`: used and
   * left open, and they answer in waves (see {@link ThroughputResult.acks}). Without it, `k`
   * subscribers are connected for the run and closed after it.
   */
  pool?: { sockets: BenchSocket[]; topic: string };
}

/**
 * The publisher keeps `window` messages in flight: a message is done when every subscriber
 * has it and (QoS 1, 2) the publisher has its msgack. Subscribers ack QoS 1 in batches
 * (`msgack` with up to 100 ids, or after a delay); at QoS 2 they answer each message with
 * `pubrec` (one id per frame, as the protocol has it) and batch the final `msgack`s.
 * Latency: from the publish frame sent to each subscriber's first receipt (one clock: same process).
 */
export async function throughput(host: RuntimeHost, options: ThroughputOptions): Promise<ThroughputResult> {
  const { qos, m, window, maxInflight, pool, firstSends } = options;
  const url = host.ready.url;
  const topic = pool?.topic ?? `tp-q${qos}-${Date.now()}`;
  let subs: BenchSocket[];
  if (pool) subs = pool.sockets;
  else {
    const connected = await connectMany(url, { qos: '2', controllers: 'monitor' }, options.k, 50, (s) => subscribe(s, topic, 2));
    if (connected.errors.length > 0) throw new Error(`could not connect ${connected.errors.length} of ${options.k} subscribers: ${connected.errors[0]}`);
    subs = connected.sockets;
  }
  const k = subs.length;
  const waves = pool !== undefined;
  const publisher = await BenchSocket.connect(url, { qos: '2' });
  // Opens the controller for the publisher (a one-time write) before measuring.
  await publisher.request(publishFrame(`${topic}-warm`, 1, -1, 'warm'), (f) => f.type === 'msgack');

  let lastPublishAt = Date.now();
  const sentAt: number[] = new Array(m).fill(0);
  const received = new Uint32Array(m);
  const acked = new Uint8Array(m);
  const latencies: number[] = [];
  let duplicates = 0;
  let lastReceipt = 0;
  let done = 0;
  let next = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // In waves mode, what each subscriber still has to answer: QoS 1 message ids, QoS 2 message ids (pubrec), pubrel ids (msgack).
  const answers = new Map<BenchSocket, { msgack: string[]; pubrec: string[]; released: string[] }>();
  let released = 0;

  const complete = (seq: number) => {
    if (received[seq] === k && (qos === 0 || acked[seq] === 1)) {
      done += 1;
      if (done === m) finish();
      else if (next < m) publishNext();
    }
  };
  const publishNext = () => {
    const seq = next++;
    sentAt[seq] = performance.now();
    lastPublishAt = Date.now();
    publisher.send(publishFrame(topic, qos, seq, `p-${seq}`));
  };
  publisher.onFrame = (f) => {
    if (f.type === 'pubrec' && f.id) publisher.send({ action: 'pubrel', id: f.id });
    else if (f.type === 'msgack' && f.id?.startsWith('p-')) {
      const seq = Number(f.id.slice(2));
      if (acked[seq] === 0) {
        acked[seq] = 1;
        complete(seq);
      }
    } else if (f.type === 'error') process.stderr.write(`publisher got ${JSON.stringify(f)}\n`);
  };
  for (const sub of subs) {
    const seen = new Set<number>();
    const todo = { msgack: [] as string[], pubrec: [] as string[], released: [] as string[] };
    answers.set(sub, todo);
    sub.onFrame = (f, at) => {
      if (f.type === 'message') {
        const seq = (f.data as { seq: number }).seq;
        if (seq < 0 || seq >= m) return;
        if (f.qos === 1 && f.id) {
          if (waves) todo.msgack.push(f.id);
          else sub.ack(f.id, ACK_BATCH.maxIds, ACK_BATCH.maxDelayMs);
        }
        if (f.qos === 2 && f.id) {
          if (waves) todo.pubrec.push(f.id);
          else sub.send({ action: 'pubrec', id: f.id });
        }
        if (seen.has(seq)) {
          duplicates += 1;
          return;
        }
        seen.add(seq);
        latencies.push(at - (sentAt[seq] as number));
        lastReceipt = Math.max(lastReceipt, at);
        received[seq] = (received[seq] as number) + 1;
        complete(seq);
      } else if (f.type === 'pubrel' && f.id) {
        released += 1;
        if (waves) todo.released.push(f.id);
        else sub.ack(f.id, ACK_BATCH.maxIds, ACK_BATCH.maxDelayMs);
      } else if (f.type === 'error') process.stderr.write(`subscriber got ${JSON.stringify(f)}\n`);
    };
  }

  const before = await host.settle(200);
  const busyFrom = { host: before, bench: benchMark() };
  const started = performance.now();
  for (let i = 0; i < Math.min(window, m); i += 1) publishNext();
  const timeout = setTimeout(() => finish(), Math.max(60_000, m * 200, k * m * 10));
  await finished;
  clearTimeout(timeout);
  const cpu = cpuUse(busyFrom, { host: await host.snapshot(), bench: benchMark() });
  const seconds = (Math.max(lastReceipt, started) - started) / 1000;
  if (waves) {
    // Each subscriber's answers in one go, ACK_WAVE subscribers at a time (see ACK_WAVE).
    const acking = [...answers.entries()];
    await inWaves(host, acking, 'Msgack', ([sub, todo]) => {
      if (todo.msgack.length === 0) return 0;
      sub.ackAll(todo.msgack);
      return 1;
    });
    await inWaves(host, acking, 'Pubrec', ([sub, todo]) => {
      for (const id of todo.pubrec) sub.send({ action: 'pubrec', id });
      return todo.pubrec.length;
    });
    if (qos === 2) {
      const deadline = Date.now() + 120_000;
      while (released < k * m && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await inWaves(host, acking, 'Msgack', ([sub, todo]) => {
        if (todo.released.length === 0) return 0;
        sub.ackAll(todo.released);
        return 1;
      });
    }
  } else for (const sub of subs) sub.flushAcks();
  const settled = await host.settle();
  // Each page of first sends is checked once by the sweep, at its ack timeout, through its due
  // marker (docs/architecture.md): part of what these deliveries cost, though the runtime's
  // schedule is off during the runs. Wait for this run's markers to fall due, sweep once, add it.
  const swept = qos === 0 ? emptyCounts() : await sweepWhenDue(host, lastPublishAt + readPolicy(host.ready.environments[RESEND.id] ?? {}).ackTimeoutMs + 1000);
  const after = { ...settled, counters: { ...settled.counters, dynamodb: sumCounts(settled.counters.dynamodb, swept) } };

  const deliveries = latencies.length;
  const ackFrames = subs.reduce((n, s) => n + s.ackStats.frames, 0);
  const ackIds = subs.reduce((n, s) => n + s.ackStats.ids, 0);
  for (const s of subs) s.ackStats.frames = s.ackStats.ids = 0;
  const sorted = latencies.sort((a, b) => a - b);
  await Promise.all([publisher.close(), ...(pool ? [] : subs.map((s) => s.close()))]);
  await host.settle(200);
  return {
    qos,
    maxInflight,
    ...(firstSends !== undefined ? { firstSends } : {}),
    subscribers: k,
    messages: m,
    window,
    payloadBytes: JSON.stringify(payloadData(0)).length,
    acks: waves ? 'waves' : 'batched',
    deliveries,
    duplicates,
    missing: m * k - deliveries,
    ackFrames,
    idsPerAck: ackFrames > 0 ? round(ackIds / ackFrames, 1) : 0,
    seconds: round(seconds, 3),
    deliveriesPerSecond: Math.round(deliveries / seconds),
    latencyMs: { p50: round(percentile(sorted, 50), 2), p99: round(percentile(sorted, 99), 2), max: round(sorted[sorted.length - 1] ?? NaN, 2) },
    cpu,
    perDelivery: perDelivery(before.counters, after.counters, deliveries),
  };
}

/**
 * Runs `act` for each item, ACK_WAVE items at a time: each wave once the frames of the one
 * before (what `act` returns: frames sent) have been handled by `functionId`.
 */
async function inWaves<T>(host: RuntimeHost, items: T[], functionId: string, act: (item: T) => number): Promise<void> {
  for (let i = 0; i < items.length; i += ACK_WAVE) {
    const handled = (await host.snapshot()).counters.invocations.byFunction[functionId] ?? 0;
    let frames = 0;
    for (const item of items.slice(i, i + ACK_WAVE)) frames += act(item);
    if (frames === 0) continue;
    const deadline = Date.now() + 60_000;
    while (((await host.snapshot()).counters.invocations.byFunction[functionId] ?? 0) < handled + frames && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Fan-out of one QoS 1 publish to K subscribers
// ---------------------------------------------------------------------------------------------

export interface FanoutResult {
  subscribers: number;
  /** How many of the asked-for subscribers were connected (less than asked if the machine ran out). */
  connected: number;
  repetitions: number;
  /** Publish sent -> publisher's msgack (every entry stored, every send attempted: PROTOCOL §4). Median of the repetitions. */
  storedAndSentMs: number;
  /** Publish sent -> the last subscriber's receipt. Median. */
  lastReceiptMs: number;
  allRuns: Array<{ storedAndSentMs: number; lastReceiptMs: number; received: number; cpu: CpuUse }>;
  /** The cores each process kept busy from publish to the last receipt, in the median run (by last receipt). */
  cpu: CpuUse;
  connectSeconds: number;
  perDelivery: PerDelivery;
}

/**
 * Subscribers accumulate on one topic: K = 1, 10, 100 ... each adds to the ones before.
 * The connections are left open (see the end). Each subscriber acks right after the measurement (batched per subscriber), so the acks do
 * not compete with the fan-out being timed; the per-delivery counts include them.
 */
export async function fanout(
  host: RuntimeHost,
  sizes: number[],
  repetitionsFor: (k: number) => number,
  log: (line: string) => void,
): Promise<{ results: FanoutResult[]; pool: { sockets: BenchSocket[]; topic: string } }> {
  const url = host.ready.url;
  const topic = `fanout-${Date.now()}`;
  const subs: BenchSocket[] = [];
  const results: FanoutResult[] = [];
  const publisher = await BenchSocket.connect(url, { qos: '1' });
  await publisher.request(publishFrame(`${topic}-warm`, 1, -1, 'warm'), (f) => f.type === 'msgack');
  let pendingIds: Array<{ sub: BenchSocket; id: string }> = [];
  let receivedNow = 0;
  let lastReceipt = 0;
  let currentRun = -1;
  const attach = (sub: BenchSocket) => {
    sub.onFrame = (f, at) => {
      if (f.type !== 'message' || f.dup) return;
      if ((f.data as { seq: number }).seq !== currentRun) return;
      receivedNow += 1;
      lastReceipt = at;
      if (f.id) pendingIds.push({ sub, id: f.id });
    };
  };
  let run = 0;
  for (const k of sizes) {
    const connectStarted = performance.now();
    const want = k - subs.length;
    if (want > 0) {
      // Claimed and subscribed at QoS 2, so the same sockets serve the QoS 2 runs at this K afterwards
      // (a QoS 1 publish reaches them at QoS 1: min of the two, PROTOCOL §4).
      const { sockets, errors } = await connectMany(url, { qos: '2', controllers: 'monitor' }, want, 100, (s) => subscribe(s, topic, 2));
      for (const s of sockets) attach(s);
      subs.push(...sockets);
      if (errors.length > 0) log(`  fan-out K=${k}: ${errors.length} connects failed (first: ${errors[0]}); going on with ${subs.length}`);
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const connected = subs.length;
    const runs: FanoutResult['allRuns'] = [];
    const before = await host.settle(300);
    for (let r = 0; r < repetitionsFor(k); r += 1) {
      run += 1;
      currentRun = run;
      receivedNow = 0;
      lastReceipt = 0;
      pendingIds = [];
      const busyFrom = { host: await host.snapshot(), bench: benchMark() };
      const started = performance.now();
      let allIn: () => void = () => {};
      const everyoneHasIt = new Promise<void>((resolve) => (allIn = resolve));
      const poll = setInterval(() => {
        if (receivedNow >= connected) allIn();
      }, 2);
      const ack = await publisher.request(publishFrame(topic, 1, run, `f-${run}`), (f) => f.type === 'msgack' && f.id === `f-${run}`, 300_000);
      const ackedAt = performance.now();
      void ack;
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([everyoneHasIt, new Promise((r2) => (giveUp = setTimeout(r2, 60_000)))]);
      clearTimeout(giveUp);
      clearInterval(poll);
      const cpu = cpuUse(busyFrom, { host: await host.snapshot(), bench: benchMark() });
      runs.push({ storedAndSentMs: round(ackedAt - started, 1), lastReceiptMs: round(lastReceipt - started, 1), received: receivedNow, cpu });
      // Acks go out in waves of ACK_WAVE subscribers, each wave once the one before is handled:
      // 10,000 at once would run 10,000 handlers in this one process, which AWS would spread
      // over as many Lambda containers (and they would time out here, not there).
      const acking = pendingIds;
      for (let i = 0; i < acking.length; i += ACK_WAVE) {
        const wave = acking.slice(i, i + ACK_WAVE);
        const handled = (await host.snapshot()).counters.invocations.byFunction.Msgack ?? 0;
        for (const { sub, id } of wave) {
          sub.ack(id);
          sub.flushAcks();
        }
        const deadline = Date.now() + 60_000;
        while (((await host.snapshot()).counters.invocations.byFunction.Msgack ?? 0) < handled + wave.length && Date.now() < deadline) {
          await new Promise((r2) => setTimeout(r2, 20));
        }
      }
      await host.settle(300);
    }
    const after = await host.snapshot();
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    const result: FanoutResult = {
      subscribers: k,
      connected,
      repetitions: runs.length,
      storedAndSentMs: median(runs.map((x) => x.storedAndSentMs)),
      lastReceiptMs: median(runs.map((x) => x.lastReceiptMs)),
      allRuns: runs,
      cpu: medianRun(runs).cpu,
      connectSeconds: round(connectSeconds, 1),
      perDelivery: perDelivery(before.counters, after.counters, runs.reduce((n, x) => n + x.received, 0)),
    };
    log(`  fan-out K=${k}: stored and sent in ${result.storedAndSentMs} ms, last receipt ${result.lastReceiptMs} ms (${connected} connected in ${result.connectSeconds} s)`);
    results.push(result);
  }
  // The sockets stay open: closing 10,000 of them runs 10,000 $disconnects, which the bench does
  // not measure; the caller runs the cost table's largest K on them, then stops the runtime without them.
  await publisher.close();
  return { results, pool: { sockets: subs, topic } };
}

/** The run whose last receipt is the median (the lower middle of an even count, as percentile(…, 50)). */
function medianRun<T extends { lastReceiptMs: number }>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.lastReceiptMs - b.lastReceiptMs);
  return sorted[Math.max(0, Math.ceil(sorted.length / 2) - 1)] as T;
}

// ---------------------------------------------------------------------------------------------
// 3. A resend sweep over N pending entries of which none is due
// ---------------------------------------------------------------------------------------------

export interface SweepResult {
  pendingEntries: number;
  seedSeconds: number;
  sweepMs: number;
  due: number;
  requests: number;
  byOperation: Record<string, number>;
  itemsRead: number;
  readUnits: number;
}

/**
 * Seeds the pending table through the real adapter (BatchWriteItem) with entries due an hour
 * from now, then runs one sweep (sweepDue: the scheduled function's loop body) with the
 * Resend function's own wiring, on a counting client.
 */
/** The Resend function's own wiring on a counting client of the host's DynamoDB Local. */
function resendOf(host: RuntimeHost) {
  const env = host.ready.environments[RESEND.id];
  if (!env) throw new Error(`no ${RESEND.id} function in the template`);
  const meter = meteredDynamoDbClient({
    endpoint: host.ready.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const config = readSweep(env);
  const deps = productionDeps(RESEND, env, { dynamodb: meter.client, log: { info: () => {}, warn: () => {}, error: () => {} } });
  return { env, meter, config, deps };
}

/** Waits until `notBefore` (epoch ms), runs one sweep with the Resend function's wiring, and returns what it asked of DynamoDB. */
async function sweepWhenDue(host: RuntimeHost, notBefore: number): Promise<DynamoDbCounts> {
  const wait = notBefore - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const { meter, config, deps } = resendOf(host);
  await sweepDue(deps, config, Date.now());
  meter.client.destroy();
  return meter.counts;
}

export async function sweep(host: RuntimeHost, entries: number, log: (line: string) => void): Promise<SweepResult> {
  const { env, meter, config, deps } = resendOf(host);
  const store = new DynamoDbPendingStore(DynamoDBDocumentClient.from(meter.client, { marshallOptions: { removeUndefinedValues: true } }), env.PENDING_TABLE as string, {
    resendShards: config.shards,
    messagesTable: env.MESSAGES_TABLE as string,
  });
  const now = Date.now();
  const entry = (i: number): PendingEntry => ({
    sessionId: `sweep-session-${i % 1000}`,
    id: `sweep-${i}`,
    connectionId: `sweep-conn-${i % 1000}`,
    sessionKind: 'clean',
    format: 'json',
    controller: 'monitor',
    topic: 'sweep',
    data: { seq: i, sample: 'x'.repeat(64) },
    qos: 1,
    state: 'sent',
    parked: false,
    attempts: 1,
    createdAt: now,
    deadlineAt: now + 24 * 3600_000,
    // None is due during the bench: the earliest an hour from now.
    dueAt: now + 3600_000 + (i % 600) * 1000,
    expiresAt: now + 25 * 3600_000,
  });
  const seedStarted = performance.now();
  const chunk = 2500;
  for (let start = 0; start < entries; start += chunk * 4) {
    await Promise.all(
      [0, 1, 2, 3].map(async (j) => {
        const from = start + j * chunk;
        const to = Math.min(entries, from + chunk);
        if (from >= to) return;
        await store.putMany(Array.from({ length: to - from }, (_, i) => entry(from + i)));
      }),
    );
    if ((start / (chunk * 4)) % 4 === 3) log(`  sweep: seeded ${Math.min(entries, start + chunk * 4)} of ${entries}`);
  }
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // The scenarios before this one leave due markers behind (each page of first sends is checked
  // once, at its ack timeout, docs/architecture.md): that is due work, not an idle sweep. One pass
  // takes it first, so the measured pass is what an idle sweep over 100,000 entries costs.
  await sweepDue(deps, config, Date.now());
  const before = structuredClone(meter.counts);
  const started = performance.now();
  const stats = await sweepDue(deps, config, Date.now());
  const sweepMs = performance.now() - started;
  const d = diffCounts(meter.counts, before);
  meter.client.destroy();
  return {
    pendingEntries: entries,
    seedSeconds: round(seedSeconds, 1),
    sweepMs: round(sweepMs, 1),
    due: stats.due,
    requests: d.requests,
    byOperation: d.byOperation,
    itemsRead: d.itemsScanned + (d.byOperation.BatchGetItem ? d.itemsReturned : 0),
    readUnits: round(d.readUnitsTable + d.readUnitsIndex + d.readUnitsUnreported, 2),
  };
}

/** How a throughput run is named in tables and charts: its QoS, and the cap where it is not the default. */
export function runLabel(t: Pick<ThroughputResult, 'qos' | 'maxInflight' | 'firstSends'>, defaultMaxInflight: number): string {
  const layout = t.firstSends === undefined ? '' : `, first sends: ${t.firstSends}`;
  if (t.qos === 0 || t.maxInflight === defaultMaxInflight) return `QoS ${t.qos}${layout}`;
  return `QoS ${t.qos}, ${t.maxInflight === 0 ? 'cap off' : `cap ${t.maxInflight}`}${layout}`;
}
