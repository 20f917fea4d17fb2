import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayConnectionGateway, apiGatewayClientFor } from '../adapters/apigateway/api-gateway-connection-gateway.js';
import { createDynamoDbStores } from '../adapters/dynamodb/index.js';
import type { TableName } from '../adapters/dynamodb/schema.js';
import type { AppDeps } from '../app/deps.js';
import { newMessageId } from '../app/ids.js';
import { CALLBACK_URL_ENV, readPolicy, readSweep, readTableNames, requireEnv, type SweepConfig } from '../config.js';
import { sampleControllers } from '../core/controllers/registry.js';
import { systemClock } from '../ports/clock.js';
import { jsonLogger } from '../ports/logger.js';
import type { RouteSpec } from '../routes.js';

/**
 * Builds a function's real dependencies once per Lambda container, from its environment
 * (set by the CDK stack, or by the local runtime): only the tables its route was granted.
 */
/** What a host may swap: the local runtime and the bench use these; a Lambda uses none. */
export interface WiringOverrides {
  log?: AppDeps['log'];
  clock?: AppDeps['clock'];
  /** A DynamoDB client of the caller's (the bench counts requests and capacity on it). */
  dynamodb?: DynamoDBClient;
}

export function productionDeps(
  route: Pick<RouteSpec, 'tables'>,
  env: Record<string, string | undefined> = process.env,
  overrides: WiringOverrides = {},
): AppDeps {
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
    log: overrides.log ?? jsonLogger,
  };
}
