import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

/** The project root: RouteSpec entries are relative to it, and so is the lock file. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface QosFunctionProps {
  /** Entry file relative to the project root (RouteSpec.entry); it must export `handler`. */
  entry: string;
  timeout: Duration;
  /** Variables shared by the caller's functions; table names and the callback URL are added by the stack's grants. */
  environment?: Record<string, string>;
  /** Lambda's own retries of an asynchronous invocation (left at Lambda's default when absent). */
  retryAttempts?: number;
}

/**
 * One qosgate Lambda: Node.js 22 on ARM, bundled locally by esbuild (no Docker needed).
 * Every function of the stack is one of these, so the runtime and bundling are set once.
 */
export class QosFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: QosFunctionProps) {
    super(scope, id, {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      retryAttempts: props.retryAttempts,
      environment: {
        ...props.environment,
        // Stack traces point at the TypeScript source (the bundle ships its source map).
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node22',
        // CommonJS: the bundle is index.js with no package.json beside it, which Node reads as CJS.
        format: OutputFormat.CJS,
        // The AWS SDK v3 is in the Node.js 22 runtime; bundling it would only grow the zip.
        externalModules: ['@aws-sdk/*'],
        // Twelve bundles per synth: print esbuild's warnings and errors, not its size tables.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
