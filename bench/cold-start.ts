/**
 * Cold start of each deploy bundle on Lambda's Node 22 (issue 14 point 5): its size, and its
 * init time, the part of a cold start the code decides (Node's own start, the import of the
 * bundle and the module-level code that builds its clients), in the bundled mode's worker.
 *
 *   npx tsx bench/cold-start.ts [--runs 7]     standalone; `npm run bench` runs it too (bench/run.ts)
 *
 * Init is measured from spawn to the handler loaded (the worker's `ready`), each run a fresh
 * process, one at a time; the median of the runs is reported, beside an empty bundle's (what
 * Node 22 and the worker take before any code of ours): the difference is the bundle's own.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { silentLogger } from '../lambdas/ports/logger.js';
import { markdownTable } from './markdown-table.js';
import { round } from './stats.js';
import { BundledFunctions } from '../local/lambda/bundled-functions.js';
import { ExecutionEnvironment } from '../local/lambda/execution-environment.js';
import { readAppModel, resolveEnvironment, type FunctionModel } from '../local/template/app-model.js';
import { synthBundled } from '../local/template/synth.js';

/** One bundle's row. */
export interface ColdStartRow {
  functionId: string;
  /** index.js alone. */
  indexBytes: number;
  /** Every file of the asset folder (the source map too, when the bundle ships one). */
  totalBytes: number;
  /** The folder's files deflated one by one, as a zip stores them (about what Lambda's code size counts). */
  zipBytes: number;
  /** Median spawn-to-handler-loaded over the runs, ms. */
  initMs: number;
  /** Median minus the empty bundle's: the import of the bundle and its module-level code, ms. */
  bundleInitMs: number;
  /** Every run, ms. */
  runsMs: number[];
}

export interface ColdStartResult {
  node: { version: string; path: string };
  runs: number;
  /** An empty bundle's median init: Node 22's start and the worker's bootstrap. */
  baselineInitMs: number;
  rows: ColdStartRow[];
  /** How the figures were taken. */
  note: string;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
/** Sizes of an asset folder's files. */
function sizesOf(dir: string): { indexBytes: number; totalBytes: number; zipBytes: number } {
  let totalBytes = 0;
  let zipBytes = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const content = readFileSync(path);
    totalBytes += content.length;
    zipBytes += deflateRawSync(content, { level: 9 }).length;
  }
  return { indexBytes: statSync(join(dir, 'index.js')).size, totalBytes, zipBytes };
}

async function initTimes(functions: BundledFunctions, fn: FunctionModel, env: Record<string, string>, runs: number): Promise<number[]> {
  const spec = functions.specFor(fn, env);
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const environment = await ExecutionEnvironment.start(spec);
    times.push(environment.initMs);
    await environment.kill();
  }
  return times;
}

/** Measures every bundle of the bundled synth (reused when its sources are unchanged). */
export async function measureColdStarts(options: { runs?: number; only?: string[] } = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 5;
  const assembly = synthBundled();
  const model = readAppModel(assembly.template, { assemblyDir: assembly.directory });
  // Init builds clients and reads its environment; it calls nothing, so the endpoints need not answer.
  const closed = 'http://127.0.0.1:9';
  const functions = new BundledFunctions({ region: 'us-east-1', endpoints: { dynamodb: closed, sqs: closed }, log: silentLogger });
  const emptyDir = mkdtempSync(join(tmpdir(), 'qosgate-empty-bundle-'));
  try {
    const tableNames = Object.fromEntries(model.tables.map((t) => [t.logicalId, `qosgate-${model.stageName}-${t.id}`]));
    const queueUrls = Object.fromEntries(model.queues.map((q) => [q.logicalId, `${closed}/000000000000/${q.id}`]));
    const deliveryStreamNames = Object.fromEntries(model.deliveryStreams.map((s) => [s.logicalId, s.logicalId]));
    const local = { tableNames, callbackUrl: `${closed}/${model.stageName}`, queueUrls, deliveryStreamNames };

    mkdirSync(join(emptyDir, 'asset'));
    writeFileSync(join(emptyDir, 'asset', 'index.js'), 'exports.handler = async () => null;\n');
    const empty: FunctionModel = { logicalId: 'Empty', functionId: 'EmptyBundle', cdkPath: 'bench/EmptyBundle', timeoutSeconds: 3, memoryMb: 256, handler: 'index.handler', runtime: 'nodejs22.x', environment: {}, asset: { path: join(emptyDir, 'asset'), bundled: true } };
    const baselineInitMs = round(median(await initTimes(functions, empty, {}, runs)));

    const rows: ColdStartRow[] = [];
    for (const fn of Object.values(model.functions).sort((a, b) => a.functionId.localeCompare(b.functionId))) {
      if (options.only && !options.only.includes(fn.functionId)) continue;
      const times = await initTimes(functions, fn, resolveEnvironment(fn, local), runs);
      const initMs = round(median(times));
      rows.push({ functionId: fn.functionId, ...sizesOf(fn.asset?.path as string), initMs, bundleInitMs: round(initMs - baselineInitMs), runsMs: times.map(round) });
    }
    return {
      node: functions.node,
      runs,
      baselineInitMs,
      rows,
      note:
        `Each bundle of a bundled synth (esbuild, as cdk synth; the AWS SDK v3 external) started ${runs} times in a fresh Node ${functions.node.version} worker of the bundled mode, one at a time, ` +
        'with its template environment; init = spawn to handler loaded (Node start, require of index.js, its module-level code: clients built, none called), the median. ' +
        `An empty bundle takes ${baselineInitMs} ms (Node and the worker alone); "bundle init" is the difference. Lambda adds its own sandbox start and code download; Node's start there differs from this machine's. ` +
        'Zip is each file deflated (level 9), about what the deployment package takes.',
    };
  } finally {
    await functions.stop();
    rmSync(emptyDir, { recursive: true, force: true });
  }
}

/** The table `npm run bench` prints and writes into docs/bench/README.md. */
export function coldStartTable(result: ColdStartResult): string {
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const header = `Cold start on Node ${result.node.version} (median of ${result.runs}; empty bundle ${result.baselineInitMs} ms)`;
  const rows = result.rows.map((r) => [r.functionId, kb(r.indexBytes), kb(r.totalBytes), kb(r.zipBytes), String(r.initMs), String(r.bundleInitMs)]);
  const headers = ['function', 'index.js KB', 'asset KB', 'zip KB', 'init ms', 'bundle init ms'];
  return [`### ${header}`, '', markdownTable(headers, rows)].join('\n');
}

// Standalone: `npx tsx bench/cold-start.ts [--runs N]`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { runs: { type: 'string' } }, strict: true });
  const runs = Number(values.runs ?? '5');
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`bench/cold-start: --runs must be a whole number of at least 1, got "${values.runs}"`);
    process.exit(2);
  }
  measureColdStarts({ runs }).then(
    (result) => console.log(`${coldStartTable(result)}\n\n${result.note}`),
    (error: unknown) => {
      console.error(`bench/cold-start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
