import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../lib/app.js';
import { applyBestPracticeChecks } from '../../lib/checks.js';

/**
 * cdk-nag's AwsSolutions pack (v3: a CDK policy-validation plugin, so a finding fails the
 * synth with a report rather than adding an annotation) passes on the stack as bin/qosgate.ts
 * synthesizes it, in the configurations that add resources: every finding left is acknowledged
 * where its resource is made, with a reason. A control proves the checks really run.
 */

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function outdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qosgate-nag-'));
  outdirs.push(dir);
  return dir;
}

/** The violations of the report a validation plugin wrote (none when the synth passed). */
function violations(dir: string): Array<{ ruleName: string; constructPaths: string[] }> {
  const path = join(dir, 'validation-report.json');
  if (!existsSync(path)) return [];
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((p) => p.violations.map((v) => ({ ruleName: v.ruleName, constructPaths: v.violatingConstructs.map((c) => c.constructPath) })));
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the default (dev) stage', {}],
    ['a prod stage with alarm e-mail', { 'qosgate:stageName': 'prod', 'qosgate:alarmEmail': 'ops@example.com' }],
    ['a stage with auth off (APIG4 acknowledged on $connect)', { 'qosgate:authRequired': false }],
    ['a stage verifying RS256 against a JWKS (Cognito)', { 'qosgate:jwksUrl': 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x/.well-known/jwks.json' }],
  ])('passes on %s with no unacknowledged finding', (_name, context) => {
    const dir = outdir();
    // Bundling off: the checks read the template, not the code assets.
    const { app } = createApp({ outdir: dir, context: { ...context, 'aws:cdk:bundling-stacks': [] }, validate: false });
    applyBestPracticeChecks(app);
    expect(() => app.synth()).not.toThrow();
    expect(violations(dir)).toEqual([]);
  }, 60_000);

  it('fails the synth on a finding nobody acknowledged (the checks run)', () => {
    const dir = outdir();
    const app = new App({ outdir: dir });
    // A topic that lets publishers skip TLS: AwsSolutions-SNS3.
    new Topic(new Stack(app, 'Control'), 'Open');
    applyBestPracticeChecks(app);
    expect(() => app.synth()).toThrow(/The SNS Topic does not require publishers to use SSL/);
    expect(violations(dir).map((v) => v.ruleName)).toContain('AwsSolutions-SNS3');
  });
});
