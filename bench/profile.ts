/**
 * Where the runtime's CPU goes during a bench case: the case runs on a runtime host under V8's
 * CPU profiler, and the profile's self time inside the measured stretch (first publish to the
 * last message done; in the fan-out, publish to the last receipt) is added up by what it
 * belongs to (bench/cpu-profile.ts).
 *
 *   npx tsx bench/profile.ts                          QoS 1, 1 -> 10 subscribers, 600 messages, 50 in flight
 *   npx tsx bench/profile.ts --qos 2 --window 10
 *   npx tsx bench/profile.ts --fanout 10000           one QoS 1 publish to 10,000 real sockets
 *   npx tsx bench/profile.ts --keep DIR               keep the .cpuprofile (open it in Chrome DevTools)
 *
 * The profiler slows the runtime a little: figures of this run are not the bench's.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';
import { CONTEXT_KEYS } from '../lib/config.js';
import { measureCeiling } from './ceiling.js';
import { cpuBreakdown, type CpuProfile } from './cpu-profile.js';
import { startRuntimeHost } from './host.js';
import type { CpuUse } from './process-cpu.js';
import { fanout, throughput, type Qos } from './scenarios.js';

/** As bench/run.ts: a rate limit one publisher never reaches. */
const BENCH_POLICY = { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      qos: { type: 'string', default: '1' },
      subscribers: { type: 'string', default: '10' },
      messages: { type: 'string', default: '600' },
      window: { type: 'string', default: '50' },
      fanout: { type: 'string' },
      keep: { type: 'string' },
    },
  });
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'qosgate-profile-'));
  const host = await startRuntimeHost({ [CONTEXT_KEYS.policy]: BENCH_POLICY }, { cpuProfileDir: dir });
  let label: string;
  let cpu: CpuUse;
  try {
    // As the bench does first: the ceiling, which also warms DynamoDB Local's JVM (a cold one spends several times the CPU a request).
    const ceiling = await measureCeiling(host.ready.dynamodbEndpoint, 20_000, [16]);
    console.log(`DynamoDB Local ceiling: ${ceiling.itemWritesPerSecond} item writes/s`);
    if (values.fanout !== undefined) {
      const k = Number(values.fanout);
      const result = (await fanout(host, [k], () => 1, (line) => console.log(line))).results[0];
      if (!result) throw new Error('the fan-out did not run');
      label = `one QoS 1 publish to ${result.connected} real sockets: last receipt ${result.lastReceiptMs} ms`;
      cpu = result.cpu;
    } else {
      const qos = Number(values.qos) as Qos;
      const run = await throughput(host, { qos, k: Number(values.subscribers), m: Number(values.messages), window: Number(values.window), maxInflight: DEFAULT_POLICY.maxInflight });
      label = `QoS ${qos}, 1 -> ${run.subscribers}, ${run.messages} messages, ${run.window} in flight: ${run.deliveriesPerSecond} deliveries/s, ${run.perDelivery.dynamodbRequests} DynamoDB requests and ${run.perDelivery.apiGatewayMessagesOut} posts per delivery`;
      cpu = run.cpu;
    }
  } finally {
    // The profile is written as the host exits.
    await host.stop({ fast: true });
  }
  // The main thread's profile is the largest (a worker thread, if any, writes its own).
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const breakdown = cpuBreakdown(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, ...cpu.hostWindowUs);
  console.log(`\n${label}`);
  console.log(`CPU meanwhile: runtime process ${cpu.runtimeCores} cores, DynamoDB Local ${cpu.dynamodbLocalCores ?? 'n/a'}, bench clients ${cpu.benchCores}`);
  console.log(`runtime main thread busy ${(breakdown.busy * 100).toFixed(0)}% of ${breakdown.wallMs} ms; self time by part:\n`);
  console.log('| part | ms | share |\n|---|---|---|');
  for (const c of breakdown.byCategory) console.log(`| ${c.category} | ${c.ms} | ${(c.share * 100).toFixed(1)}% |`);
  if (values.keep) console.log(`\nprofile: ${file}`);
  else rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
