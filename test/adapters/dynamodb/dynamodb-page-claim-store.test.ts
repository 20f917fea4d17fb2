import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll } from 'vitest';
import { DynamoDbPageClaimStore } from '../../../lambdas/adapters/dynamodb/dynamodb-page-claim-store.js';
import { createTables, prefixedTableNames } from '../../../lambdas/adapters/dynamodb/index.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';
import { describePageClaimContract } from '../page-claim-contract.js';

const client = testDynamoDbClient();
const doc = testDocumentClient(client);
const created: string[] = [];

afterAll(async () => {
  await Promise.all(created.map((name) => client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined)));
  client.destroy();
});

describePageClaimContract('dynamodb', async () => {
  const names = prefixedTableNames(uniquePrefix('claims'));
  await createTables(client, names);
  created.push(...Object.values(names));
  return new DynamoDbPageClaimStore(doc, names.inbound);
});
