import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';

/** A client for the run's DynamoDB Local (see dynamodb-local.global.ts). */
export function testDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export function testDocumentClient(client: DynamoDBClient = testDynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

let counter = 0;
/** A prefix no other test uses, so each test's tables start empty. */
export function uniquePrefix(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * Test times should be far in the future (e.g. 4e12 ms, year 2096): DynamoDB Local runs TTL
 * deletion against the wall clock, so an item whose `expiresAt` has really passed vanishes
 * within seconds and a test using past times would flake.
 */
export const FUTURE_EPOCH_MS = 4_000_000_000_000;
