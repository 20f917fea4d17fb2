import { execFile } from 'node:child_process';

/** One finding of `cfn-lint --format json`. */
export interface CfnLintFinding {
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> };
}

/**
 * Warnings the template may carry, each with why it is not ours to fix. Any other warning fails
 * the lint test as an error would: a new one is either fixed or listed here with its reason.
 */
export const ALLOWED_WARNINGS: Array<{ rule: string; path: RegExp; message: RegExp; reason: string }> = [
  {
    rule: 'W3005',
    // `Resources/<Function>/DependsOn/<n>` naming the function's own service role, which its `Role` already GetAtts.
    path: /^Resources\/[A-Za-z0-9]+\/DependsOn\/\d+$/,
    message: /^'[A-Za-z0-9]+ServiceRole[0-9A-F]{8}' dependency already enforced by a 'GetAtt' at 'Resources\/[A-Za-z0-9]+\/Properties\/Role'$/,
    reason:
      "CDK's Function adds DependsOn on its service role and default policy so the policy exists before the function can run; " +
      'the role is also a GetAtt, which cfn-lint reports as redundant. It is harmless and CDK owns it.',
  },
];

/** Where cfn-lint is not on PATH: the test says so and is reported skipped, never passed. */
export async function cfnLintVersion(): Promise<string | undefined> {
  return new Promise((resolve) => execFile('cfn-lint', ['--version'], (error, stdout) => resolve(error ? undefined : stdout.trim())));
}

/** Runs cfn-lint on a template file and returns every finding (its exit code only says which levels occurred). */
export async function cfnLint(templatePath: string): Promise<CfnLintFinding[]> {
  return new Promise((resolve, reject) =>
    execFile('cfn-lint', ['--format', 'json', '--', templatePath], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout || '[]') as CfnLintFinding[]);
      } catch {
        reject(new Error(`cfn-lint did not answer JSON (${error?.message ?? 'no error'}): ${stderr}${stdout}`));
      }
    }),
  );
}

/** Findings that fail the build: every error, and every warning {@link ALLOWED_WARNINGS} does not list. */
export function failingFindings(findings: CfnLintFinding[]): CfnLintFinding[] {
  return findings.filter((f) => f.Level === 'Error' || (f.Level === 'Warning' && !ALLOWED_WARNINGS.some((a) => a.rule === f.Rule.Id && a.path.test(f.Location.Path.join('/')) && a.message.test(f.Message))));
}
