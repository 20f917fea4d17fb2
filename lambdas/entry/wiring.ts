import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withServerPublish } from '../app/server-publish.js';
import { ApiGatewayConnectionGateway, apiGatewayClientFor } from '../adapters/apigateway/api-gateway-connection-gateway.js';
import { createDynamoDbStores } from '../adapters/dynamodb/index.js';
import type { TableName } from '../adapters/dynamodb/schema.js';
import { PowertoolsLogger } from '../adapters/powertools/powertools-logger.js';
import { PowertoolsMetrics } from '../adapters/powertools/powertools-metrics.js';
import type { AppDeps } from '../app/deps.js';
import { newMessageId } from '../app/ids.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbPageClaimStore } from '../adapters/dynamodb/dynamodb-page-claim-store.js';
import { SqsPageQueue } from '../adapters/sqs/sqs-page-queue.js';
import { CALLBACK_URL_ENV, FANOUT_QUEUE_URL_ENV, readFanout, readFirstSends, readPolicy, readSweep, readTableNames, requireEnv, type SweepConfig } from '../config.js';
import { sampleControllers } from '../core/controllers/registry.js';
import { systemClock } from '../ports/clock.js';
import { noopMetrics, type Metrics } from '../ports/metrics.js';
import type { TokenVerifier } from '../ports/token-verifier.js';
import { asIs, type SdkClientHook } from './sdk-client-hook.js';
import type { RouteSpec } from '../routes.js';

type Env = Record<string, string | undefined>;

export type { SdkClientHook } from './sdk-client-hook.js';

/** What a host may swap: the local runtime and the bench use these; a Lambda uses none. */
export interface WiringOverrides {
  log?: AppDeps['log'];
  clock?: AppDeps['clock'];
  /** A DynamoDB client of the caller's (the bench counts requests and capacity on it). */
  dynamodb?: DynamoDBClient;
  /** An SQS client of the caller's (default: one from the SDK's chain; locally AWS_ENDPOINT_URL_SQS names the local engine). */
  sqs?: SQSClient;
  /**
   * Where metrics go. By default CloudWatch EMF on stdout inside Lambda, and nowhere
   * elsewhere (see {@link defaultMetrics}); the local runtime or a test may pass
   * `noopMetrics` or a `MemoryMetrics` (lambdas/ports/metrics.ts) to be explicit.
   */
  metrics?: Metrics;
  /** The Authorizer's HS256 key when neither JWKS_URL nor JWT_SECRET_ARN is set (the local runtime; default: QOSGATE_JWT_SECRET). */
  jwtSecret?: string;
  /** The Authorizer's verifier, replacing the one its environment describes (tests). */
  tokenVerifier?: TokenVerifier;
  /**
   * Applied to every SDK client the wiring creates: DynamoDB, SQS, the management API and
   * Secrets Manager (the local runtime enforces each function's IAM policy with it; the bench
   * counts DynamoDB requests). Not applied to `dynamodb` and `sqs` above: those are the caller's.
   */
  sdkClient?: SdkClientHook;
}


/**
 * Builds a function's real dependencies once per Lambda container, from its environment
 * (set by the CDK stack, or by the local runtime): only the tables its route was granted.
 */
export function productionDeps(
  route: Pick<RouteSpec, 'tables' | 'pageQueue'>,
  env: Env = process.env,
  overrides: WiringOverrides = {},
): AppDeps & { metrics: Metrics } {
  // Region, credentials and (locally) AWS_ENDPOINT_URL_DYNAMODB come from the SDK's own chain.
  const hook = overrides.sdkClient ?? asIs;
  const dynamodb = overrides.dynamodb ?? hook(new DynamoDBClient({}));
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const sweep: SweepConfig = readSweep(env);
  const names = readTableNames(env, Object.keys(route.tables) as TableName[]);
  // Only a function granted the fan-out queue hands pages on; the others deliver every page inline (a retained value to one subscriber).
  const queueUrl = route.pageQueue ? env[FANOUT_QUEUE_URL_ENV] : undefined;
  const fanout =
    queueUrl && names.inbound
      ? { fanout: { queue: new SqsPageQueue(overrides.sqs ?? hook(new SQSClient({})), queueUrl), claims: new DynamoDbPageClaimStore(doc, names.inbound), config: readFanout(env) } }
      : {};
  return withServerPublish({
    stores: createDynamoDbStores(doc, names, { resendShards: sweep.shards, firstSends: readFirstSends(env) }),
    gateway: new ApiGatewayConnectionGateway(hook(apiGatewayClientFor(requireEnv(env, CALLBACK_URL_ENV)))),
    clock: overrides.clock ?? systemClock,
    policy: readPolicy(env),
    controllers: sampleControllers,
    newId: () => newMessageId(),
    pause: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    log: overrides.log ?? new PowertoolsLogger(),
    metrics: overrides.metrics ?? defaultMetrics(env),
    ...fanout,
  });
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
