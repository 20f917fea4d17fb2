import { dirname } from 'node:path';
import type { FunctionModel } from '../template/app-model.js';
import { LAMBDA_NODE_MAJOR } from './node-binary.js';

/** Where a worker's platform variables come from besides the template. */
export interface PlatformSettings {
  /** The copy of the bundle the worker runs (LAMBDA_TASK_ROOT, its cwd). */
  taskRoot: string;
  /** The folder of runtime modules (the SDK), as Lambda's /var/runtime/node_modules. */
  runtimeModules: string;
  /** The Node binary (its folder is first on PATH, as /var/lang/bin on Lambda). */
  nodePath: string;
  region: string;
  /** The local endpoints: DynamoDB Local, the local SQS engine and (with the ingestion sink) the local Firehose stand-in. */
  endpoints: { dynamodb: string; sqs: string; firehose?: string };
}

/**
 * A worker's whole environment: exactly the function's template environment (resolved to local
 * names) plus what Lambda's platform sets (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
 * and the local endpoints; nothing of the process that runs the runtime. The platform's are laid
 * after the template's: Lambda reserves their names, so a template cannot set them.
 */
export function lambdaEnvironment(fn: FunctionModel, template: Record<string, string>, platform: PlatformSettings): Record<string, string> {
  const functionName = fn.functionId;
  const logLevel = fn.logging?.applicationLogLevel;
  return {
    ...template,
    AWS_REGION: platform.region,
    AWS_DEFAULT_REGION: platform.region,
    // The role's temporary credentials on Lambda; DynamoDB Local and the SQS engine accept any.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    ...(logLevel !== undefined ? { AWS_LAMBDA_LOG_LEVEL: logLevel } : {}),
    ...(fn.logging?.format !== undefined ? { AWS_LAMBDA_LOG_FORMAT: fn.logging.format } : {}),
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${LAMBDA_NODE_MAJOR}.x`,
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: platform.taskRoot,
    LAMBDA_RUNTIME_DIR: dirname(platform.runtimeModules),
    NODE_PATH: platform.runtimeModules,
    PATH: `${dirname(platform.nodePath)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_ENDPOINT_URL_DYNAMODB: platform.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: platform.endpoints.sqs,
    ...(platform.endpoints.firehose !== undefined ? { AWS_ENDPOINT_URL_FIREHOSE: platform.endpoints.firehose } : {}),
  };
}
