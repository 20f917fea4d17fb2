import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAppModel, type AppModel } from '../../../local/template/app-model.js';
import { bundleSourceHash, synthBundled, type BundledAssembly } from '../../../local/template/synth.js';

/** The bundled synth: the deploy bundles the bundled mode runs, and the cache that spares a second esbuild run. */
describe('synthBundled', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'qosgate-bundled-cache-'));
  let first: BundledAssembly;
  let model: AppModel;
  beforeAll(() => {
    first = synthBundled({ cacheDir });
    model = readAppModel(first.template, { assemblyDir: first.directory });
  }, 120_000);
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('bundles every function as cdk synth does: CommonJS index.js with the AWS SDK left external, in the asset folder the template names', () => {
    expect(first.reused).toBe(false);
    expect(first.directory).toBe(join(cacheDir, first.sourceHash));
    const functions = Object.values(model.functions);
    expect(functions.length).toBeGreaterThanOrEqual(12);
    for (const fn of functions) {
      expect(fn.handler, fn.functionId).toBe('index.handler');
      expect(fn.asset, fn.functionId).toEqual({ path: expect.stringMatching(new RegExp(`^${first.directory}/asset\\.[0-9a-f]{64}$`)), bundled: true });
      const code = readFileSync(join(fn.asset?.path as string, 'index.js'), 'utf8');
      expect(code, fn.functionId).toMatch(/module\.exports/);
      expect(code, fn.functionId).toMatch(/require\("@aws-sdk\/client-dynamodb"\)|require\("@aws-sdk\/lib-dynamodb"\)/);
      expect(code, fn.functionId).not.toMatch(/^import /m);
      expect(fn.logging, fn.functionId).toMatchObject({ format: 'JSON', applicationLogLevel: expect.any(String) });
    }
  });

  it('reuses the assembly of the same sources and context, and makes another for another context', () => {
    const again = synthBundled({ cacheDir });
    expect(again).toMatchObject({ reused: true, directory: first.directory, sourceHash: first.sourceHash });
    expect(again.template).toEqual(first.template);
    expect(bundleSourceHash({ 'qosgate:stageName': 'local' })).not.toBe(first.sourceHash);
  });
});

describe('bundleSourceHash', () => {
  it('changes with any source file of the bundles and with the context', () => {
    const root = mkdtempSync(join(tmpdir(), 'qosgate-hash-'));
    try {
      mkdirSync(join(root, 'lambdas', 'entry'), { recursive: true });
      writeFileSync(join(root, 'lambdas', 'entry', 'publish.ts'), 'export const handler = 1;');
      writeFileSync(join(root, 'package-lock.json'), '{}');
      const before = bundleSourceHash({}, root);
      expect(bundleSourceHash({}, root)).toBe(before);
      writeFileSync(join(root, 'lambdas', 'entry', 'publish.ts'), 'export const handler = 2;');
      const edited = bundleSourceHash({}, root);
      expect(edited).not.toBe(before);
      writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
      expect(bundleSourceHash({}, root)).not.toBe(edited);
      expect(bundleSourceHash({ a: 1 }, root)).not.toBe(bundleSourceHash({}, root));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
