import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Architecture test (STYLE.md): the core is pure. It imports nothing outside lambdas/core (no
 * AWS SDK, no CDK, no Node modules, no packages at all), reads no environment, no clock, no
 * timers and no randomness: it takes state + frame + now and returns what must happen.
 */

const CORE = resolve(dirname(fileURLToPath(import.meta.url)), '../../lambdas/core');

/** Things the core must not use; checked on the code with its comments removed. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bprocess\s*\.\s*env\b/, 'process.env'],
  [/\bprocess\s*\./, 'process'],
  [/\bDate\s*\.\s*now\b/, 'Date.now'],
  [/\bnew\s+Date\s*\(/, 'new Date('],
  [/\bsetTimeout\b/, 'setTimeout'],
  [/\bsetInterval\b/, 'setInterval'],
  [/\bsetImmediate\b/, 'setImmediate'],
  [/\bMath\s*\.\s*random\b/, 'Math.random'],
  [/\bperformance\s*\.\s*now\b/, 'performance.now'],
  [/\bcrypto\s*\.\s*(randomUUID|getRandomValues|randomBytes)\b/, 'crypto randomness'],
  [/\brequire\s*\(/, 'require('],
];

/** Every .ts file under a directory, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers of every import, re-export, dynamic import() and import type of a source. */
function importsOf(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      found.push(arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed import>');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      found.push(ts.isStringLiteral(expr) ? expr.text : '<computed import>');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What is wrong with one core file: imports leaving the core, forbidden uses. */
function violations(path: string, text: string, coreDir = CORE): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  for (const specifier of importsOf(source)) {
    if (!specifier.startsWith('.')) {
      problems.push(`imports ${specifier} (the core imports nothing but the core)`);
      continue;
    }
    const target = resolve(dirname(path), specifier);
    if (target !== coreDir && !target.startsWith(coreDir + sep)) problems.push(`imports ${specifier}, outside lambdas/core`);
  }
  // The printer drops comments but keeps strings, template literals and regexes intact, so a
  // doc comment may explain why Date.now is not used, and a `//` inside a regex is no comment.
  const code = ts.createPrinter({ removeComments: true }).printFile(source);
  for (const [pattern, label] of FORBIDDEN) {
    if (pattern.test(code)) problems.push(`uses ${label}`);
  }
  return problems;
}

describe('the core is pure (STYLE.md)', () => {
  const files = tsFiles(CORE);

  it('finds the core files, nested ones included', () => {
    const names = files.map((f) => relative(CORE, f).split(sep).join('/'));
    expect(names).toEqual(expect.arrayContaining(['types.ts', 'errors.ts', 'qos.ts', 'frames/parse-frame.ts', 'frames/names.ts']));
  });

  it.each(files.map((f) => [relative(CORE, f).split(sep).join('/'), f]))('%s imports nothing outside the core and uses no env, clock, timer or randomness', (_name, file) => {
    expect(violations(file, readFileSync(file, 'utf8'))).toEqual([]);
  });
});

describe('the purity check itself', () => {
  const file = join(CORE, 'frames', 'example.ts');

  it.each([
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", 'imports @aws-sdk/client-dynamodb (the core imports nothing but the core)'],
    ["import { Stack } from 'aws-cdk-lib';", 'imports aws-cdk-lib (the core imports nothing but the core)'],
    ["import { readFileSync } from 'node:fs';", 'imports node:fs (the core imports nothing but the core)'],
    ["import { randomUUID } from 'crypto';", 'imports crypto (the core imports nothing but the core)'],
    ["import type { ConnectionGateway } from '../../ports/connection-gateway.js';", 'imports ../../ports/connection-gateway.js, outside lambdas/core'],
    ["export * from '../../routes.js';", 'imports ../../routes.js, outside lambdas/core'],
    ["const m = await import('@aws-sdk/client-sqs');", 'imports @aws-sdk/client-sqs (the core imports nothing but the core)'],
    ["let x: import('aws-lambda').Context;", 'imports aws-lambda (the core imports nothing but the core)'],
    ['const region = process.env.AWS_REGION;', 'uses process.env'],
    ['const now = Date.now();', 'uses Date.now'],
    ['const now = new Date();', 'uses new Date('],
    ['setTimeout(() => {}, 10);', 'uses setTimeout'],
    ['const t = setInterval(tick, 10);', 'uses setInterval'],
    ['const id = Math.random().toString(36);', 'uses Math.random'],
    ['const id = crypto.randomUUID();', 'uses crypto randomness'],
  ])('flags %s', (code, problem) => {
    expect(violations(file, code)).toContain(problem);
  });

  it('accepts imports inside the core and mentions in comments', () => {
    const code = [
      "import type { Qos } from '../types.js';",
      "import { isValidName } from './names.js';",
      '/** Never Date.now() or process.env here: `now` is passed in. setTimeout, Math.random too. */',
      '// new Date( would be impure',
      'const pattern = /^[a-z:/-]+$/; // a regex with a slash is not a comment',
      'export const now = (clock: { now(): number }) => clock.now();',
    ].join('\n');
    expect(violations(file, code)).toEqual([]);
  });
});
