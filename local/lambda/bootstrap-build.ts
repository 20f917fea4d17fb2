import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The worker's JavaScript, built with esbuild (a dev dependency of the project) when the runtime
 * starts, so a worker runs plain Node 22 with no tsx loader: the loader's own modules would
 * otherwise be resolvable in the worker, and its start-up would count in the init time.
 */

const BOOTSTRAP_SOURCE = fileURLToPath(new URL('./bootstrap.ts', import.meta.url));

/** Writes the worker's bootstrap into `dir` and returns its path. */
export function buildBootstrap(dir: string): string {
  const outfile = join(dir, 'bootstrap.cjs');
  buildSync({ entryPoints: [BOOTSTRAP_SOURCE], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', logLevel: 'error' });
  return outfile;
}

/**
 * A client hook module as the worker can import it: a TypeScript one is bundled (its relative
 * imports inlined, the SDK left to the worker's runtime modules) into `dir`; JavaScript is used as is.
 */
export function buildHookModule(module: string, dir: string): string {
  if (!/\.[cm]?ts$/.test(module)) return module;
  const outfile = join(dir, 'client-hook.cjs');
  buildSync({
    entryPoints: [module],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['@aws-sdk/*', '@smithy/*'],
    logLevel: 'error',
  });
  return outfile;
}
