import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createApp } from '../../lib/app.js';
import { PROJECT_ROOT } from '../../lib/constructs/qos-function.js';
import type { CfnTemplate } from './cfn-template.js';

/** Where local synths go: gitignored, and inside the project so temp files stay with it. */
export const LOCAL_STATE_DIR = join(PROJECT_ROOT, '.qosgate');

/** Where {@link synthBundled} keeps bundled cloud assemblies, one folder per source hash. */
export const BUNDLED_CACHE_DIR = join(LOCAL_STATE_DIR, 'bundled');

export interface SynthOptions {
  /** Context on top of cdk.json's, e.g. `{ 'qosgate:stageName': 'local' }`. */
  context?: Record<string, unknown>;
  /** Keep the cloud assembly here; by default it goes to a temp folder under .qosgate/ that is removed. */
  outdir?: string;
  /**
   * Run the real asset bundling (esbuild, as `npx cdk synth` does; ~6-20 s for all functions):
   * the assembly then holds each function's deploy bundle (`asset.<hash>/index.js`), which
   * the template's `aws:asset:path` metadata names. Give an `outdir` to keep them.
   */
  bundle?: boolean;
}

/**
 * Synthesizes the app in-process, as `npx cdk synth` would (lib/app.ts applies cdk.json's
 * context and the CLI's defaults), and returns the stack's CloudFormation template.
 *
 * Two things a deploy needs and the source mode of the local runtime does not are skipped,
 * which takes a synth from ~15-20 s (`npx cdk synth`) to ~0.5 s, plus ~0.6 s to load
 * aws-cdk-lib the first time:
 *   - asset bundling (`aws:cdk:bundling-stacks: []`), unless `bundle` is set: `Stack.bundlingRequired`
 *     is then false and AssetStaging runs no esbuild and copies nothing (the asset points at the
 *     source folder, with a placeholder hash). The source mode runs the TypeScript handlers directly.
 *   - the built-in CloudFormation validation (`builtinCloudFormationValidation`), a WASM rule
 *     engine that costs ~3 s to start; it only reports, it never changes the template, and
 *     `npx cdk synth` and test/lib still run it.
 * So without `bundle`, only `Code.S3Key` and asset metadata differ from the CLI's template; nothing the model reads.
 */
export function synthTemplate(options: SynthOptions = {}): CfnTemplate {
  mkdirSync(LOCAL_STATE_DIR, { recursive: true });
  // A fresh folder per call: tests synthesize in parallel, and `npm start` may run beside them.
  const outdir = options.outdir ?? mkdtempSync(join(LOCAL_STATE_DIR, 'synth-'));
  try {
    // A deployed stage requires auth by default; on a laptop it is opt-in (`npm start -- --auth`,
    // or `'qosgate:authRequired': true` in the context), so the demos work without a token.
    const context = { 'qosgate:authRequired': false, ...options.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) };
    const { app, stack } = createApp({ outdir, context, validate: false });
    return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  } finally {
    if (options.outdir === undefined) rmSync(outdir, { recursive: true, force: true });
  }
}

/** A bundled cloud assembly: the template and the folder its `aws:asset:path` entries are relative to. */
export interface BundledAssembly {
  template: CfnTemplate;
  /** The assembly folder (holds `asset.<hash>/index.js` per function). */
  directory: string;
  /** The source hash the assembly is kept under. */
  sourceHash: string;
  /** True when an assembly of the same source hash was reused instead of bundling again. */
  reused: boolean;
}

/**
 * What a bundle is built from: the handlers and the stack (lambdas/, lib/, bin/), the locked
 * dependency versions (package-lock.json: esbuild, aws-cdk-lib and everything bundled), cdk.json
 * and the context. Node_modules edited by hand without a lock change would not be seen.
 */
export const BUNDLE_SOURCES = ['lambdas', 'lib', 'bin', 'package-lock.json', 'cdk.json', 'tsconfig.json', 'local/template/synth.ts'];

/** Hashes {@link BUNDLE_SOURCES} (paths and contents) and the context. */
export function bundleSourceHash(context: Record<string, unknown> = {}, root: string = PROJECT_ROOT): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(context));
  const add = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
      return;
    }
    hash.update(`\0${relative(root, path)}\0`);
    hash.update(readFileSync(path));
  };
  for (const source of BUNDLE_SOURCES) if (existsSync(join(root, source))) add(join(root, source));
  return hash.digest('hex');
}

/** How many bundled assemblies the cache keeps (other contexts, older sources). */
const KEPT_ASSEMBLIES = 8;

/**
 * {@link synthTemplate} with bundling, kept in .qosgate/bundled/<source hash>/: a second start
 * with the same sources and context reuses it (~0.1 s instead of a synth with esbuild). CDK's
 * own asset hash cannot serve as the key: it hashes the bundle's output, known only after
 * bundling. A new assembly is synthesized aside and renamed into place, so parallel starts
 * never see half of one.
 */
export function synthBundled(options: { context?: Record<string, unknown>; cacheDir?: string } = {}): BundledAssembly {
  const cacheDir = options.cacheDir ?? BUNDLED_CACHE_DIR;
  const context = options.context ?? {};
  const sourceHash = bundleSourceHash(context);
  const directory = join(cacheDir, sourceHash);
  const templateOf = (dir: string): CfnTemplate | undefined => {
    const file = readdirSync(dir).find((name) => name.endsWith('.template.json'));
    return file === undefined ? undefined : (JSON.parse(readFileSync(join(dir, file), 'utf8')) as CfnTemplate);
  };
  if (existsSync(directory)) {
    const template = templateOf(directory);
    if (template) return { template, directory, sourceHash, reused: true };
  }
  mkdirSync(cacheDir, { recursive: true });
  const aside = mkdtempSync(join(cacheDir, 'synth-'));
  let template: CfnTemplate;
  try {
    template = synthTemplate({ context, outdir: aside, bundle: true });
  } catch (error) {
    rmSync(aside, { recursive: true, force: true });
    throw error;
  }
  try {
    renameSync(aside, directory);
  } catch {
    // Another start put the same assembly in place meanwhile: use that one.
    rmSync(aside, { recursive: true, force: true });
  }
  pruneAssemblies(cacheDir, sourceHash);
  return { template, directory, sourceHash, reused: false };
}

/** Keeps the newest {@link KEPT_ASSEMBLIES} assemblies (and the one just made). */
function pruneAssemblies(cacheDir: string, keep: string): void {
  const entries = readdirSync(cacheDir)
    .filter((name) => /^[0-9a-f]{64}$/.test(name) && name !== keep)
    .map((name) => ({ name, mtime: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(KEPT_ASSEMBLIES - 1)) rmSync(join(cacheDir, old.name), { recursive: true, force: true });
}
