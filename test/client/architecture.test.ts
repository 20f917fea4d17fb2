import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const CLIENT = fileURLToPath(new URL('../../client/', import.meta.url));

/** Every import/export-from of a file, with whether it is type-only (erased at build). */
function importsOf(file: string): Array<{ from: string; typeOnly: boolean }> {
  const source = readFileSync(file, 'utf8');
  const found: Array<{ from: string; typeOnly: boolean }> = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?'([^']+)'/g)) {
    found.push({ from: match[2] as string, typeOnly: match[1] !== undefined });
  }
  return found;
}

describe('the client layer stands alone', () => {
  const files = readdirSync(CLIENT).filter((f) => f.endsWith('.ts'));

  it('imports nothing from the server (lambdas/) at run time, and no AWS SDK', () => {
    // The frame types do come from the server's vocabulary, type-only (erased): the check sees them.
    expect(importsOf(`${CLIENT}frames.ts`)).toContainEqual({ from: '../lambdas/core/types.js', typeOnly: true });
    for (const file of files) {
      for (const { from, typeOnly } of importsOf(CLIENT + file)) {
        if (from.startsWith('.') && !from.startsWith('./')) expect({ file, from, typeOnly }).toMatchObject({ typeOnly: true });
        expect(from, file).not.toMatch(/aws-sdk|aws-cdk|aws-lambda/);
      }
    }
  });

  it('the browser entry bundles for the browser without ws, fs or any Node module, and without server code', async () => {
    const result = await build({ entryPoints: [`${CLIENT}index.ts`], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(5);
    for (const input of inputs) expect(input).toMatch(/^client\//);
    expect(inputs).not.toContain('client/file-outbox.ts');
    expect(inputs).not.toContain('client/node.ts');
  });
});
