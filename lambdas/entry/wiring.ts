import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayConnectionGateway, apiGatewayClientFor } from '../adapters/apigateway/api-gateway-connection-gateway.js';
import { createDynamoDbStores } from '../adapters/dynamodb/index.js';
import type { TableName } from '../adapters/dynamodb/schema.js';
import { PowertoolsLogger } from '../adapters/powertools/powertools-logger.js';
import { PowertoolsMetrics } from '../adapters/powertools/powertools-metrics.js';
import type { AppDeps } from '../app/deps.js';
import { newMessageId } from '../app/ids.js';
import { CALLBACK_URL_ENV, readPolicy, readSweep, readTableNames, requireEnv, type SweepConfig } from '../config.js';
import { sampleControllers } from '../core/controllers/registry.js';
import { systemClock } from '../ports/clock.js';
import { noopMetrics, type Metrics } from '../ports/metrics.js';
import type { RouteSpec } from '../routes.js';

type Env = Record<string, string | undefined>;

/** What a host may swap: the local runtime and the bench use these; a Lambda uses none. */
export interface WiringOverrides {
  log?: AppDeps['log'];
  clock?: AppDeps['clock'];
  /** A DynamoDB client of the caller's (the bench counts requests and capacity on it). */
  dynamodb?: DynamoDBClient;
  /**
   * Where metrics go. By default CloudWatch EMF on stdout inside Lambda, and nowhere
   * elsewhere (see {@link defaultMetrics}); the local runtime or a test may pass
   * `noopMetrics` or a `MemoryMetrics` (lambdas/ports/metrics.ts) to be explicit.
   */
  metrics?: Metrics;
}

/**
 * Builds a function's real dependencies once per Lambda container, from its environment
 * (set by the CDK stack, or by the local runtime): only the tables its route was granted.
 */
export function productionDeps(
  route: Pick<RouteSpec, 'tables'>,
  env: Env = process.env,
  overrides: WiringOverrides = {},
): AppDeps & { metrics: Metrics } {
  // Region, credentials and (locally) AWS_ENDPOINT_URL_DYNAMODB come from the SDK's own chain.
  const dynamodb = overrides.dynamodb ?? new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const sweep: SweepConfig = readSweep(env);
  const names = readTableNames(env, Object.keys(route.tables) as TableName[]);
  return {
    stores: createDynamoDbStores(doc, names, { resendShards: sweep.shards }),
    gateway: new ApiGatewayConnectionGateway(apiGatewayClientFor(requireEnv(env, CALLBACK_URL_ENV))),
    clock: overrides.clock ?? systemClock,
    policy: readPolicy(env),
    controllers: sampleControllers,
    newId: () => newMessageId(),
    log: overrides.log ?? new PowertoolsLogger(),
    metrics: overrides.metrics ?? defaultMetrics(env),
  };
}

/**
 * EMF lines mean something only where CloudWatch Logs reads stdout, i.e. in Lambda (which
 * always sets AWS_LAMBDA_FUNCTION_NAME): anywhere else, such as the local runtime, which runs
 * functions with their template environment only, they would be noise on the terminal.
 */
export function defaultMetrics(env: Env): Metrics {
  if (!env.AWS_LAMBDA_FUNCTION_NAME) return noopMetrics;
  return new PowertoolsMetrics({ stage: stageOf(requireEnv(env, CALLBACK_URL_ENV)) });
}

/**
 * The stage a function serves: the last path segment of its callback URL
 * (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`), which the stack sets anyway.
 */
export function stageOf(callbackUrl: string): string {
  const stage = new URL(callbackUrl).pathname.split('/').filter(Boolean).pop();
  if (!stage) throw new Error(`qosgate: ${CALLBACK_URL_ENV} has no stage: ${callbackUrl}`);
  return stage;
}
