import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm ci', () => {
  it('warns about no unreviewed install script (esbuild\'s postinstall is denied in allowScripts: it works without it)', async () => {
    // A copy of the manifest and lock alone: the shared node_modules is never touched.
    const dir = mkdtempSync(join(tmpdir(), 'qosgate-npm-ci-'));
    try {
      for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(PROJECT_ROOT, file), join(dir, file));
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
});
