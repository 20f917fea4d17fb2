import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_MEMORY_MB } from '../../lambdas/routes.js';

/** The project root: RouteSpec entries are relative to it, and so is the lock file. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface QosFunctionProps {
  /** Entry file relative to the project root (RouteSpec.entry); it must export `handler`. */
  entry: string;
  timeout: Duration;
  /** Variables shared by the caller's functions; table names and the callback URL are added by the stack's grants. */
  environment?: Record<string, string>;
  /** Memory in MB (default DEFAULT_MEMORY_MB, 256). */
  memorySize?: number;
  /** Lambda's own retries of an asynchronous invocation (left at Lambda's default when absent). */
  retryAttempts?: number;
  /** The function's own log group: how long it keeps logs, and whether it outlives the stack. */
  logs: FunctionLogs;
}

export interface FunctionLogs {
  /** The application log level (lib/config.ts LOG_LEVELS). */
  level: keyof typeof ApplicationLogLevel;
  retention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Ship the source map and turn Node's source-map support on (`qosgate:sourceMaps`, lib/config.ts). */
  sourceMaps: boolean;
}

/**
 * One qosgate Lambda: Node.js 22 on ARM, bundled locally by esbuild (no Docker needed), with
 * an explicit log group (`<id>Logs`, a sibling) whose retention the configuration sets.
 * Every function of the stack is one of these, so the runtime and bundling are set once.
 */
export class QosFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: QosFunctionProps) {
    super(scope, id, {
      // Explicit, so its retention and removal are ours (not an implicit never-expire group).
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: props.logs.retention, removalPolicy: props.logs.removalPolicy }),
      // Lambda's advanced logging controls: JSON platform lines, and the application log level
      // Lambda enforces and hands the code as AWS_LAMBDA_LOG_LEVEL, which the Powertools Logger
      // follows. Set here, not as an environment variable, so the template's environment (which
      // the local runtime reproduces exactly) stays the handlers' own configuration.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logs.level],
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout,
      retryAttempts: props.retryAttempts,
      environment: {
        ...props.environment,
        // Only with the map in the bundle: stack traces then point at the TypeScript source.
        ...(props.logs.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        // Off by default: a map as large as the bundle, parsed at every cold start once enabled.
        sourceMap: props.logs.sourceMaps,
        target: 'node22',
        // The ES module build of a dependency where it has one: esbuild tree-shakes ESM, not CommonJS.
        mainFields: ['module', 'main'],
        // CommonJS: the bundle is index.js with no package.json beside it, which Node reads as CJS.
        format: OutputFormat.CJS,
        // The AWS SDK v3 is in the Node.js 22 runtime; bundling it would only grow the zip.
        externalModules: ['@aws-sdk/*'],
        // Twelve bundles per synth: print esbuild's warnings and errors, not its size tables.
        logLevel: LogLevel.WARNING,
      },
    });
    // cdk-nag (AwsSolutions pack, applied by bin/qosgate.ts) findings on every function:
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is a supported LTS Lambda runtime (deprecation 2027-04-30) and what the handlers, bundling target and ' +
        'the local runtime are tested on; a runtime upgrade is a deliberate change with its own test run, not a side effect of a new release.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "AWSLambdaBasicExecutionRole allows only logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents, which every Lambda needs to log; " +
        'table and API access come from per-route inline policies (test/lib/least-privilege.test.ts).',
    });
  }
}
