import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, STACK_ID } from '../../lib/app.js';
import { checkContextKeys, ConfigError, configFromContext, CONTEXT_KEYS, resolveConfig, stackNameFor } from '../../lib/config.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'qosgate-context-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Runs bin/qosgate.ts as the CDK CLI does, with `context` as the CLI's `-c` values. */
function runBin(context: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'bin/qosgate.ts'],
      { cwd: PROJECT_ROOT, env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir } },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

describe('unknown qosgate:* context keys', () => {
  it('refuses -c qosgate:stageNam=prod, naming the key and the nearest known one', () => {
    const app = new App({ context: { 'qosgate:stageNam': 'prod' } });
    expect(() => configFromContext(app.node)).toThrow(ConfigError);
    expect(() => configFromContext(app.node)).toThrow('unknown context key "qosgate:stageNam" (did you mean "qosgate:stageName"?)');
  });

  it('names the nearest key whatever the typo (case, a dropped or swapped letter)', () => {
    expect(() => checkContextKeys(['qosgate:LogLevel'])).toThrow('did you mean "qosgate:logLevel"?');
    expect(() => checkContextKeys(['qosgate:alarmEmial'])).toThrow('did you mean "qosgate:alarmEmail"?');
    expect(() => checkContextKeys(['qosgate:polcy'])).toThrow('did you mean "qosgate:policy"?');
  });

  it('takes every known key, and leaves keys of other tools alone', () => {
    expect(() => checkContextKeys([...Object.values(CONTEXT_KEYS), '@aws-cdk/core:checkSecretUsage', 'aws:cdk:enable-path-metadata'])).not.toThrow();
  });
});

describe('bad policy / sweep JSON', () => {
  it('fails with a message naming the key, not a SyntaxError', () => {
    const app = new App({ context: { [CONTEXT_KEYS.policy]: '{attemptLimit:5}' } });
    expect(() => configFromContext(app.node)).toThrow(ConfigError);
    expect(() => configFromContext(app.node)).toThrow(/context "qosgate:policy" is not valid JSON .*: \{attemptLimit:5\}/);
    expect(() => configFromContext(new App({ context: { [CONTEXT_KEYS.sweep]: '{"shards":' } }).node)).toThrow(/context "qosgate:sweep" is not valid JSON/);
  });

  it('bin/qosgate.ts prints the message alone and exits 1 (what `cdk synth` shows)', async () => {
    const typo = await runBin({ 'qosgate:stageNam': 'prod' });
    expect(typo.code).toBe(1);
    expect(typo.stderr.trim()).toBe(
      `qosgate: unknown context key "qosgate:stageNam" (did you mean "qosgate:stageName"?); known keys: ${Object.values(CONTEXT_KEYS).join(', ')}`,
    );
    const json = await runBin({ 'qosgate:policy': '{attemptLimit:5}' });
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/^qosgate: context "qosgate:policy" is not valid JSON/);
    expect(json.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);
});

describe('the stack name follows the stage', () => {
  it('Qosgate-dev by default, Qosgate-prod for prod, so two stages never share a stack', () => {
    const synth = (context: Record<string, unknown>) => {
      const { app, stack } = createApp({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, outdir: mkdtempSync(join(outdir, 'app-')), validate: false });
      return { stack, artifact: app.synth().getStackArtifact(stack.artifactId) };
    };
    const dev = synth({});
    const prod = synth({ 'qosgate:stageName': 'prod' });
    expect(dev.stack.stackName).toBe('Qosgate-dev');
    expect(dev.artifact.stackName).toBe('Qosgate-dev');
    expect(prod.artifact.stackName).toBe('Qosgate-prod');
    // The construct id (template file name, `cdk deploy Qosgate`) is unchanged.
    expect(prod.stack.artifactId).toBe(STACK_ID);
  }, 60_000);

  it('maps the one stage character a stack name refuses, and refuses a stage too long for one', () => {
    expect(stackNameFor('prod_2')).toBe('Qosgate-prod-2');
    expect(stackNameFor('x'.repeat(120))).toHaveLength(128);
    expect(() => resolveConfig({ stageName: 'x'.repeat(121) })).toThrow(/stage name must be at most 120 characters/);
  });
});
