import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/qos-function.js';

/**
 * The modules Lambda's Node.js runtime provides, and nothing else: the AWS SDK v3 (`@aws-sdk/*`,
 * in /var/runtime/node_modules on Lambda) and what those packages depend on (`@smithy/*`,
 * `tslib`, ...). A worker finds them through NODE_PATH, as a bundle on Lambda does; a module
 * outside this closure (e.g. `ws`) is not resolvable, as on Lambda.
 */

/** The project's node_modules, where the SDK the bundles will use is installed. */
export const PROJECT_NODE_MODULES = join(PROJECT_ROOT, 'node_modules');

/** The top-level packages of `nodeModules` that the runtime provides: every `@aws-sdk/*` and their dependencies, transitively. */
export function sdkClosure(nodeModules: string = PROJECT_NODE_MODULES): string[] {
  const sdkDir = join(nodeModules, '@aws-sdk');
  if (!existsSync(sdkDir)) throw new Error(`no AWS SDK v3 in ${nodeModules} (expected ${sdkDir}): run npm ci`);
  const topLevel = new Set<string>();
  const seenDirs = new Set<string>();
  const visit = (packageDir: string): void => {
    const real = realpathSync(packageDir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = resolvePackageDir(name, packageDir, nodeModules);
      // An optional dependency for another platform is not installed; Node would not find it either.
      if (found === undefined) continue;
      if (found === join(nodeModules, name)) topLevel.add(name);
      visit(found);
    }
  };
  for (const name of readdirSync(sdkDir)) {
    topLevel.add(`@aws-sdk/${name}`);
    visit(join(sdkDir, name));
  }
  return [...topLevel].sort();
}

/** Where Node's lookup from `fromDir` finds package `name`: the nearest node_modules/<name> up to `root`. */
function resolvePackageDir(name: string, fromDir: string, root: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir || !dir.startsWith(dirname(root))) break;
    dir = dirname(dir);
  }
  const top = join(root, name);
  return existsSync(join(top, 'package.json')) ? top : undefined;
}

/**
 * Lays out `into` (a folder named node_modules, like Lambda's /var/runtime/node_modules) with a
 * symlink per package of the {@link sdkClosure}. Returns the packages linked.
 */
export function linkRuntimeModules(into: string, nodeModules: string = PROJECT_NODE_MODULES): string[] {
  const packages = sdkClosure(nodeModules);
  for (const name of packages) {
    const link = join(into, name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(nodeModules, name)), link, 'dir');
  }
  return packages;
}
