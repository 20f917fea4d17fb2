import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { configFromContext, stackNameFor } from './config.js';
import { PROJECT_ROOT } from './constructs/qos-function.js';
import { QosgateStack } from './qosgate-stack.js';

/**
 * The stack's construct id: `npx cdk synth` writes `Qosgate.template.json` from it, and
 * `cdk deploy Qosgate` selects it. The CloudFormation stack NAME follows the stage
 * (`Qosgate-dev`, `Qosgate-prod`: stackNameFor), so stages never share a stack.
 */
export const STACK_ID = 'Qosgate';

export const STACK_DESCRIPTION = 'qosgate: WebSocket messaging with MQTT-style QoS 0/1/2';

/**
 * Context the CDK CLI passes to every app it runs (its defaults for `pathMetadata`,
 * `assetMetadata` and `versionReporting`). Without `aws:cdk:enable-path-metadata` an
 * in-process synth has no `aws:cdk:path` metadata, and the local runtime finds functions by it.
 */
const CLI_DEFAULT_CONTEXT: Record<string, unknown> = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
};

export interface CreateAppOptions {
  /**
   * Context set on top of cdk.json's and of whatever the CLI passed (App `postCliContext`),
   * e.g. `{ 'qosgate:stageName': 'test' }` or `{ 'aws:cdk:bundling-stacks': [] }`.
   */
  context?: Record<string, unknown>;
  /** Where the cloud assembly goes; by default the CLI's `--output` (CDK_OUTDIR) or a temp folder. */
  outdir?: string;
  /**
   * Run CDK's built-in CloudFormation validation at synth (default true, as the CLI does).
   * It only reports; the local runtime turns it off because its engine takes seconds to start.
   */
  validate?: boolean;
}

/**
 * The qosgate CDK app: `bin/qosgate.ts` (run by `npx cdk synth`) and the local runtime both
 * build it here, so they synthesize the same stack.
 *
 * cdk.json's "context" (feature flags, `qosgate:*`) and the CLI's default context are
 * applied as defaults: run in-process they make the template the one the CLI makes, and
 * run by the CLI they change nothing, because the CLI's own context (which already holds
 * cdk.json's, plus any `-c`) overrides them.
 */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: QosgateStack } {
  const app = new App({
    context: { ...CLI_DEFAULT_CONTEXT, ...readCdkJsonContext() },
    postCliContext: options.context,
    outdir: options.outdir,
    // Left unset unless asked, so CDK_VALIDATION and `cdk synth --no-validation` still apply.
    ...(options.validate === false ? { builtinCloudFormationValidation: false } : {}),
  });
  const config = configFromContext(app.node);
  const stack = new QosgateStack(app, STACK_ID, {
    stackName: stackNameFor(config.stageName),
    description: STACK_DESCRIPTION,
    config,
  });
  return { app, stack };
}

/** cdk.json's "context", read from the project root (not the cwd, which may be anywhere). */
export function readCdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
