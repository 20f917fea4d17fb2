process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { startRuntimeHost } from '/work/main/bench/host.js';
import { measureCeiling } from '/work/main/bench/ceiling.js';
import { throughput, fanout } from '/work/main/bench/scenarios.js';
import { CONTEXT_KEYS } from '/work/main/lib/config.js';
import { DEFAULT_POLICY } from '/work/main/lambdas/core/policy.js';
const label = process.argv[2];
const host = await startRuntimeHost({ [CONTEXT_KEYS.policy]: { rateLimitPerSecond: 100000, rateLimitBurst: 100000 } });
try {
  await measureCeiling(host.ready.dynamodbEndpoint, 10000, [16]);
  for (let i = 0; i < 2; i++) {
    const r = await throughput(host, { qos: 1, k: 10, m: 300, window: 50, maxInflight: DEFAULT_POLICY.maxInflight });
    console.log(label, 'QoS1 1->10 w50', r.deliveriesPerSecond, '/s runtime cores', r.cpu.runtimeCores, 'ms CPU/delivery', (r.cpu.runtimeCores * 1000 / r.deliveriesPerSecond).toFixed(3), 'p50', r.latencyMs.p50);
  }
  const f = (await fanout(host, [1000], () => 2, () => {})).results[0]!;
  console.log(label, 'fanout 1000 last receipt', f.lastReceiptMs, 'runtime cores', f.cpu.runtimeCores);
} finally { await host.stop({ fast: true }); }
