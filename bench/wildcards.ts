import { withServerPublish } from '../lambdas/app/server-publish.js';
import { pathToFileURL } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTables, prefixedTableNames } from '../lambdas/adapters/dynamodb/create-tables.js';
import { createDynamoDbStores } from '../lambdas/adapters/dynamodb/index.js';
import { MemoryPageClaimStore } from '../lambdas/adapters/memory/memory-page-claim-store.js';
import { MemoryPageQueue } from '../lambdas/adapters/memory/memory-page-queue.js';
import { deliver } from '../lambdas/app/deliver.js';
import type { AppDeps } from '../lambdas/app/deps.js';
import { mapLimit } from '../lambdas/app/map-limit.js';
import { DEFAULT_FANOUT } from '../lambdas/config.js';
import { sampleControllers } from '../lambdas/core/controllers/registry.js';
import { DEFAULT_POLICY } from '../lambdas/core/policy.js';
import type { Qos } from '../lambdas/core/types.js';
import { silentLogger } from '../lambdas/ports/logger.js';
import { startDynamoDbLocal } from '../local/dynamodb/dynamodb-local-process.js';
import { diffCounts, meteredDynamoDbClient, type DynamoDbCounts } from './dynamodb-meter.js';

/**
 * What wildcard filters cost a publish (PROTOCOL §8; docs/architecture.md "Topic filters"):
 * the fan-out of one publish (app/deliver.ts `deliver`, the Publish function's code path with
 * its inline page) on the DynamoDB stores, metered by bench/dynamodb-meter.ts, beside the same
 * publish with no filters stored. The stores are driven directly, as bench/stored-fanout.ts
 * does; sessions are "connected" to a gateway that answers every post (no sockets).
 *
 *   npx tsx bench/wildcards.ts [--publishes 20]
 *
 * Cases (topic site-7/boiler/temp, 10 exact subscribers each):
 * - no filters stored;
 * - 1,000 filters stored, 10 of them match, spread over 495 sites' anchors as a deployment
 *   with per-site subscriptions would be;
 * - 1,000 filters stored, 10 match, ALL anchored at the controller's root (`+/...`, `#`): the
 *   worst case for the index, one partition holding every filter.
 * Each at QoS 0 (what finding the audience costs: nothing is stored) and QoS 1 (the whole
 * publish: the pending entries of every recipient too).
 */
export interface WildcardCase {
  label: string;
  filtersStored: number;
  filtersMatching: number;
  recipients: number;
  qos: Qos;
  publishes: number;
  /** Per publish (means over `publishes`), from the meter. */
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** Items Query, GetItem and BatchGetItem returned, per publish. */
  itemsReturned: number;
  byOperation: Record<string, number>;
  /** Median wall time of one publish's fan-out, on this machine and DynamoDB Local. */
  medianMs: number;
}

export interface WildcardBenchResult {
  topic: string;
  cases: WildcardCase[];
}

const TOPIC = 'site-7/boiler/temp';
const EXACT_SUBSCRIBERS = 10;
const SEED_CONCURRENCY = 8;

/** The 10 filters that match TOPIC, half anchored on its prefixes, half at the root. */
const MATCHING_SPREAD = ['site-7/+/temp', 'site-7/#', 'site-7/boiler/+', 'site-7/boiler/#', 'site-7/+/+', '#', '+/boiler/temp', '+/+/temp', '+/boiler/+', 'site-7/boiler/temp/#'];
/** 10 root-anchored filters that match TOPIC. */
const MATCHING_ROOT = ['#', '+/#', '+/+/#', '+/+/+', '+/+/temp', '+/boiler/+', '+/boiler/#', '+/boiler/temp', '+/boiler/temp/#', '+/+/temp/#'];

/** 990 filters that do not match TOPIC: two per other site, and two on site-7's anchor. */
function spreadNonMatching(): string[] {
  const filters = ['site-7/+/humidity', 'site-7/pump/#'];
  for (let site = 0; filters.length < 990; site += 1) {
    if (site === 7) continue;
    filters.push(`site-${site}/+/temp`, `site-${site}/#`);
  }
  return filters.slice(0, 990);
}

/** 990 root-anchored filters that do not match TOPIC. */
function rootNonMatching(): string[] {
  return Array.from({ length: 990 }, (_, i) => `+/device-${i}/#`);
}

interface Setup {
  label: string;
  filters: string[];
  matching: number;
}

function setups(filters: number): Setup[] {
  const scale = (list: string[]) => list.slice(0, Math.max(0, filters - 10));
  return [
    { label: 'no filters', filters: [], matching: 0 },
    { label: `${filters.toLocaleString('en-US')} filters over per-site anchors, 10 match`, filters: [...MATCHING_SPREAD, ...scale(spreadNonMatching())], matching: 10 },
    { label: `${filters.toLocaleString('en-US')} filters all at the root anchor, 10 match`, filters: [...MATCHING_ROOT, ...scale(rootNonMatching())], matching: 10 },
  ];
}

/** Runs every case against a DynamoDB endpoint (fresh tables per case). */
export async function wildcardBench(endpoint: string, options: { publishes?: number; filters?: number; log?: (line: string) => void } = {}): Promise<WildcardBenchResult> {
  const publishes = options.publishes ?? 20;
  const log = options.log ?? (() => {});
  const cases: WildcardCase[] = [];
  let run = 0;
  for (const setup of setups(options.filters ?? 1000)) {
    const metered = meteredDynamoDbClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const doc = DynamoDBDocumentClient.from(metered.client, { marshallOptions: { removeUndefinedValues: true } });
    try {
      const names = prefixedTableNames(`bench-wild-${process.pid}-${run++}`);
      await createTables(metered.client, names);
      const now = Date.now();
      const stores = createDynamoDbStores(doc, names, { resendShards: 1 });
      const subscription = (sessionId: string, topic: string) => ({
        sessionId,
        connectionId: sessionId,
        sessionKind: 'clean' as const,
        claimedQos: 1 as const,
        format: 'json' as const,
        subscriptionQos: 1 as const,
        controller: 'monitor',
        topic,
        expiresAt: now + DEFAULT_POLICY.connectionTtlMs,
      });
      const seeds = [
        ...Array.from({ length: EXACT_SUBSCRIBERS }, (_, i) => subscription(`exact-${i}`, TOPIC)),
        ...setup.filters.map((filter, i) => subscription(`filter-${i}`, filter)),
      ];
      await mapLimit(seeds, SEED_CONCURRENCY, (s) => stores.subscriptions.put(s));
      let ids = 0;
      const deps: AppDeps = withServerPublish({
        stores,
        gateway: { post: async () => 'ok', disconnect: async () => 'ok' as const, isOpen: async () => true },
        clock: { now: () => Date.now() },
        policy: DEFAULT_POLICY,
        controllers: sampleControllers,
        newId: () => `${Date.now().toString(36)}${String(++ids).padStart(8, '0')}`,
        log: silentLogger,
        fanout: { queue: new MemoryPageQueue(), claims: new MemoryPageClaimStore(), config: DEFAULT_FANOUT },
      });
      for (const qos of [0, 1] as const) {
        const before = snapshot(metered.counts);
        const times: number[] = [];
        let recipients = 0;
        for (let i = 0; i < publishes; i += 1) {
          const started = performance.now();
          const stats = await deliver(deps, { via: 'publish', controller: 'monitor', topic: TOPIC, data: { reading: i }, qos }, deps.newId(), Date.now());
          times.push(performance.now() - started);
          recipients = stats.recipients;
        }
        const used = diffCounts(metered.counts, before);
        const per = (n: number) => Math.round((n / publishes) * 100) / 100;
        const result: WildcardCase = {
          label: setup.label,
          filtersStored: setup.filters.length,
          filtersMatching: setup.matching,
          recipients,
          qos,
          publishes,
          requests: per(used.requests),
          readUnits: per(used.readUnitsTable + used.readUnitsIndex + used.readUnitsUnreported),
          writeUnits: per(used.writeUnitsTable + used.writeUnitsIndex),
          itemsReturned: per(used.itemsReturned),
          byOperation: Object.fromEntries(Object.entries(used.byOperation).map(([op, n]) => [op, per(n)])),
          medianMs: Math.round(median(times) * 10) / 10,
        };
        cases.push(result);
        log(`  wildcards: ${result.label}, QoS ${qos}: ${result.recipients} recipients, ${result.requests} requests, ${result.readUnits} read units, ${result.writeUnits} write units, ${result.medianMs} ms per publish`);
      }
    } finally {
      metered.client.destroy();
    }
  }
  return { topic: TOPIC, cases };
}

function snapshot(counts: DynamoDbCounts): DynamoDbCounts {
  return { ...counts, byOperation: { ...counts.byOperation } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The cases as a Markdown table (bench/report.ts puts it in docs/bench/README.md). */
export function wildcardTable(result: WildcardBenchResult): string[][] {
  return result.cases.map((c) => [
    c.label,
    `QoS ${c.qos}`,
    String(c.recipients),
    String(c.requests),
    String(c.readUnits),
    String(c.writeUnits),
    String(c.itemsReturned),
    String(c.medianMs),
    Object.entries(c.byOperation)
      .map(([op, n]) => `${n} ${op}`)
      .join(', '),
  ]);
}

async function main(): Promise<void> {
  const publishesArg = process.argv.indexOf('--publishes');
  const publishes = publishesArg >= 0 ? Number(process.argv[publishesArg + 1]) : 20;
  const dynamodb = await startDynamoDbLocal();
  try {
    const result = await wildcardBench(dynamodb.endpoint, { publishes, log: (line) => console.log(line) });
    console.log(JSON.stringify(result, null, 2));
    const headers = ['filters stored', 'QoS', 'recipients', 'DynamoDB requests', 'read units', 'write units', 'items returned', 'median ms', 'requests by operation'];
    for (const row of [headers, headers.map(() => '---'), ...wildcardTable(result)]) console.log(`| ${row.join(' | ')} |`);
  } finally {
    await dynamodb.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
