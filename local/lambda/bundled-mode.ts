import { AUTH_ENV } from '../../lambdas/config.js';
import type { Logger } from '../../lambdas/ports/logger.js';
import type { FrameLog } from '../frame-log.js';
import { readAppModel, type AppModel } from '../template/app-model.js';
import { synthBundled, synthTemplate } from '../template/synth.js';
import { refOf, type CfnTemplate } from '../template/cfn-template.js';
import { BundledFunctions, type BundledModeOptions, type BundledSettings } from './bundled-functions.js';
import { localSecretArn, startLocalSecrets, type LocalSecrets } from './local-secrets.js';

export type { BundledModeOptions } from './bundled-functions.js';

/**
 * The local runtime's bundled mode in three calls, so local/runtime.ts only picks a mode:
 * {@link bundledModeGuard} before anything starts, {@link synthForMode} for the model,
 * {@link startBundledMode} for the functions.
 */

/** The runtime's progress lines (its StartStep names; this module sits below local/runtime.ts and does not import it). */
type Progress = (step: 'synth' | 'functions', message: string) => void;

/** Refuses what the bundled mode cannot do, before anything starts. */
export function bundledModeGuard(options: { bundled?: boolean | BundledModeOptions; overrides?: unknown }): void {
  if (!options.bundled) return;
  if (options.overrides !== undefined) {
    throw new Error(
      'qosgate: bundled mode runs each function in its own Node 22 process, which `overrides` (objects of this process) cannot reach: ' +
        'use the source mode (the default) with overrides, or bundled mode without them',
    );
  }
  const max = typeof options.bundled === 'object' ? options.bundled.maxEnvironmentsPerFunction : undefined;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new Error(`qosgate: bundled.maxEnvironmentsPerFunction must be a whole number of at least 1, got ${max}`);
}

/**
 * The template and app model of the mode: the source mode's synth without bundling, or the
 * bundled synth (reused when its sources are unchanged) with the asset folders absolute.
 * `transform` alters the template before the model is read (a test cutting a grant).
 */
export function synthForMode(
  bundled: boolean,
  context: Record<string, unknown> | undefined,
  progress: Progress,
  transform: (template: CfnTemplate) => CfnTemplate = (template) => template,
): { template: CfnTemplate; model: AppModel } {
  if (!bundled) {
    progress('synth', 'synthesizing the app (the CDK stack, as cdk synth would)');
    const template = transform(synthTemplate(context ? { context } : {}));
    return { template, model: readAppModel(template) };
  }
  const started = performance.now();
  progress('synth', 'synthesizing the app with its deploy bundles (esbuild, as cdk synth does)');
  const assembly = synthBundled(context ? { context } : {});
  progress('synth', `${assembly.reused ? 'reused the bundles of' : 'bundled into'} ${assembly.directory} (${Math.round(performance.now() - started)} ms)`);
  const template = transform(assembly.template);
  return { template, model: readAppModel(template, { assemblyDir: assembly.directory }) };
}

/**
 * The workers' side of the runtime, with the workers' log lines going where the source mode's
 * handlers log: the runtime's `log` when given, else warnings and errors as frame log notes.
 *
 * The template's secrets (the Authorizer's HS256 key, JWT_SECRET_ARN) are served by a local
 * Secrets Manager with the host's QOSGATE_JWT_SECRET as their value, the key the source mode's
 * Authorizer falls back to: in a worker, as on Lambda, the Authorizer refuses to run without
 * its secret (it sees AWS_LAMBDA_FUNCTION_NAME), so the secret must be there.
 */
export async function startBundledMode(
  bundled: true | BundledModeOptions,
  model: AppModel,
  settings: Omit<BundledSettings, 'log' | 'secrets'> & { log?: Logger; frameLog: FrameLog },
  progress: Progress,
): Promise<BundledFunctions> {
  const { frameLog, log, ...rest } = settings;
  const secrets = await secretsOf(model, settings.region);
  const sink: Logger = log ?? {
    info: () => {},
    warn: (message, fields) => frameLog.note(`WARN ${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => frameLog.note(`ERROR ${message} ${JSON.stringify(fields ?? {})}`),
  };
  let functions: BundledFunctions;
  try {
    functions = new BundledFunctions({ ...rest, log: sink, ...(secrets ? { secrets } : {}) }, bundled === true ? {} : bundled);
  } catch (error) {
    await secrets?.close();
    throw error;
  }
  progress(
    'functions',
    `bundled mode: each function runs its deploy bundle on Node ${functions.node.version} (${functions.node.path}), ` +
      `in its own processes (up to ${(bundled === true ? undefined : bundled.maxEnvironmentsPerFunction) ?? 4} each), with ${functions.runtimePackages.length} runtime packages (the AWS SDK v3) resolvable`,
  );
  return functions;
}

/** A local Secrets Manager for the template's secrets, or nothing when it names none. */
async function secretsOf(model: AppModel, region: string): Promise<LocalSecrets | undefined> {
  const arns = new Set<string>();
  for (const fn of Object.values(model.functions)) {
    for (const name of fn.secretVariables ?? []) arns.add(localSecretArn(region, refOf(fn.environment[name]) ?? name));
  }
  if (arns.size === 0) return undefined;
  const key = process.env[AUTH_ENV.localSecret];
  if (!key) {
    throw new Error(
      `qosgate: the template's Authorizer reads its key from Secrets Manager; locally that secret's value is ${AUTH_ENV.localSecret}, which is not set ` +
        '(npm start -- --auth sets a dev key)',
    );
  }
  return startLocalSecrets(Object.fromEntries([...arns].map((arn) => [arn, key])));
}
