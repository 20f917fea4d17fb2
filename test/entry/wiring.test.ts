import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../lambdas/adapters/dynamodb/schema.js';
import { AUTH_ENV, CALLBACK_URL_ENV, FANOUT_QUEUE_URL_ENV } from '../../lambdas/config.js';
import { authorizerDeps } from '../../lambdas/entry/authorizer-wiring.js';
import { productionDeps, type SdkClientHook } from '../../lambdas/entry/wiring.js';
import { ROUTES } from '../../lambdas/routes.js';

/**
 * The `sdkClient` hook sees every SDK client the wiring creates, so a host (the local runtime
 * enforcing IAM, the bench counting requests) misses none; clients passed in are left alone.
 */

const ENV: Record<string, string> = {
  ...Object.fromEntries(Object.values(TABLES).map((t) => [t.envVar, `t-${t.envVar}`])),
  [CALLBACK_URL_ENV]: 'http://127.0.0.1:9/dev',
  [FANOUT_QUEUE_URL_ENV]: 'http://127.0.0.1:9/000000000000/Queue',
};
const silent = { info: () => {}, warn: () => {}, error: () => {} };

function recording(): { hook: SdkClientHook; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    hook: (client) => {
      seen.push(client.constructor.name);
      return client;
    },
  };
}

describe('WiringOverrides.sdkClient', () => {
  it('is called on the DynamoDB, SQS and management API clients of a function that hands pages on', () => {
    const { hook, seen } = recording();
    const publish = ROUTES.find((r) => r.id === 'Publish');
    if (!publish) throw new Error('no Publish route');
    productionDeps(publish, ENV, { sdkClient: hook, log: silent });
    expect(seen.sort()).toEqual(['ApiGatewayManagementApiClient', 'DynamoDBClient', 'SQSClient']);
  });

  it('is called on the Secrets Manager client of the Authorizer', () => {
    const { hook, seen } = recording();
    authorizerDeps({ [AUTH_ENV.secretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:jwt' }, { sdkClient: hook, log: silent });
    expect(seen).toEqual(['SecretsManagerClient']);
  });

  it('is not called on a DynamoDB client the caller passes in: that one is the caller\'s', () => {
    const { hook, seen } = recording();
    const ping = ROUTES.find((r) => r.id === 'Ping');
    if (!ping) throw new Error('no Ping route');
    const dynamodb = new DynamoDBClient({});
    productionDeps(ping, ENV, { sdkClient: hook, dynamodb, log: silent });
    expect(seen).toEqual(['ApiGatewayManagementApiClient']);
    dynamodb.destroy();
  });
});
