import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/dashboard.png is made on purpose by `npm run screenshot`, never by a test: a clean
// checkout stays clean after `npm test`.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('npm run screenshot', () => {
  it('is a script of its own, and it runs (--help)', async () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.screenshot).toBe('tsx tools/dashboard-screenshot.ts');
    expect(existsSync(join(PROJECT_ROOT, 'tools/dashboard-screenshot.ts'))).toBe(true);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('npx', ['tsx', 'tools/dashboard-screenshot.ts', '--help'], { cwd: PROJECT_ROOT }, (error, out) => (error ? reject(error) : resolve(out))),
    );
    expect(stdout).toContain('usage: npm run screenshot');
  }, 60_000);

  it('no test takes a screenshot (so none rewrites docs/)', () => {
    const taking = testFiles(join(PROJECT_ROOT, 'test')).filter((file) => /\.screenshot\(/.test(readFileSync(file, 'utf8')));
    expect(taking).toEqual([]);
  });
});
