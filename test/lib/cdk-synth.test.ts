import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/routes.js';
import { ALLOWED_WARNINGS, cfnLint, cfnLintVersion, failingFindings, type CfnLintFinding } from '../support/cfn-lint.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'qosgate-cdk-out-'));
const templatePath = join(outdir, 'Qosgate.template.json');

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes offline through cdk.json, with real bundling', async () => {
    // Its own output directory, so it never races a `cdk synth` someone runs in the checkout.
    await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
      cwd: PROJECT_ROOT,
      // Offline: no version check or telemetry call to make the test wait or fail.
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(ROUTES.length + 4); // + the resend sweep, the fan-out page worker, the $connect authorizer (auth is on by default) and the ingestion sink (on by default)
  }, 180_000);

  // Runs on the template the test above synthesized: the one `cdk deploy` would upload.
  it('passes cfn-lint with 0 errors and no warning beyond the listed ones (test/support/cfn-lint.ts)', async (context) => {
    const version = await cfnLintVersion();
    if (version === undefined) {
      console.warn('SKIPPED: cfn-lint is not installed (pip install cfn-lint); the template was not linted.');
      context.skip('cfn-lint is not installed (pip install cfn-lint)');
    }
    expect(existsSync(templatePath), 'the synth test above writes the template').toBe(true);
    const findings = await cfnLint(templatePath);
    const describe = (f: CfnLintFinding) => `${f.Level} ${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`;
    expect(failingFindings(findings).map(describe), version).toEqual([]);
    // The allowed warnings are the ones CDK's functions bring: one per function's role, no more.
    const functions = Object.values((JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string }> }).Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(findings.filter((f) => f.Rule.Id === ALLOWED_WARNINGS[0]!.rule)).toHaveLength(functions.length);
  }, 60_000);
});

describe('the cfn-lint gate', () => {
  const finding = (Level: CfnLintFinding['Level'], Id: string, path: string, Message: string): CfnLintFinding => ({ Level, Rule: { Id }, Location: { Path: path.split('/') }, Message });
  const roleDependency = finding('Warning', 'W3005', 'Resources/FnA1B2C3D4/DependsOn/1', "'FnServiceRole4F1120C1' dependency already enforced by a 'GetAtt' at 'Resources/FnA1B2C3D4/Properties/Role'");

  it('lets the listed warning through and fails every error and every other warning', () => {
    const errorFinding = finding('Error', 'E3012', 'Resources/Table/Properties/BillingMode', 'bad value');
    const otherWarning = finding('Warning', 'W2001', 'Parameters/Unused', 'Parameter Unused not used');
    const sameRuleOtherCause = finding('Warning', 'W3005', 'Resources/Api/DependsOn/0', "'Table' dependency already enforced by a 'Ref' at 'Resources/Api/Properties/Name'");
    expect(failingFindings([roleDependency, errorFinding, otherWarning, sameRuleOtherCause])).toEqual([errorFinding, otherWarning, sameRuleOtherCause]);
  });
});
