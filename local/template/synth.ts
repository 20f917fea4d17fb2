import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../lib/app.js';
import { PROJECT_ROOT } from '../../lib/constructs/qos-function.js';
import type { CfnTemplate } from './cfn-template.js';

/** Where local synths go: gitignored, and inside the project so temp files stay with it. */
export const LOCAL_STATE_DIR = join(PROJECT_ROOT, '.qosgate');

export interface SynthOptions {
  /** Context on top of cdk.json's, e.g. `{ 'qosgate:stageName': 'local' }`. */
  context?: Record<string, unknown>;
  /** Keep the cloud assembly here; by default it goes to a temp folder under .qosgate/ that is removed. */
  outdir?: string;
}

/**
 * Synthesizes the app in-process, as `npx cdk synth` would (lib/app.ts applies cdk.json's
 * context and the CLI's defaults), and returns the stack's CloudFormation template.
 *
 * Two things a deploy needs and the local runtime does not are skipped, which takes a synth
 * from ~15-20 s (`npx cdk synth`) to ~0.5 s, plus ~0.6 s to load aws-cdk-lib the first time:
 *   - asset bundling (`aws:cdk:bundling-stacks: []`): `Stack.bundlingRequired` is then false
 *     and AssetStaging runs no esbuild and copies nothing (the asset points at the source
 *     folder, with a placeholder hash). The local runtime runs the TypeScript handlers directly.
 *   - the built-in CloudFormation validation (`builtinCloudFormationValidation`), a WASM rule
 *     engine that costs ~3 s to start; it only reports, it never changes the template, and
 *     `npx cdk synth` and test/lib still run it.
 * So only `Code.S3Key` and asset metadata differ from the CLI's template; nothing the model reads.
 */
export function synthTemplate(options: SynthOptions = {}): CfnTemplate {
  mkdirSync(LOCAL_STATE_DIR, { recursive: true });
  // A fresh folder per call: tests synthesize in parallel, and `npm start` may run beside them.
  const outdir = options.outdir ?? mkdtempSync(join(LOCAL_STATE_DIR, 'synth-'));
  try {
    // A deployed stage requires auth by default; on a laptop it is opt-in (`npm start -- --auth`,
    // or `'qosgate:authRequired': true` in the context), so the demos work without a token.
    const context = { 'qosgate:authRequired': false, ...options.context, 'aws:cdk:bundling-stacks': [] };
    const { app, stack } = createApp({ outdir, context, validate: false });
    return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  } finally {
    if (options.outdir === undefined) rmSync(outdir, { recursive: true, force: true });
  }
}
