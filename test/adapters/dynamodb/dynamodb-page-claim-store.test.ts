import { createHash } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
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

async function freshTables() {
  const names = prefixedTableNames(uniquePrefix('claims'));
  await createTables(client, names);
  created.push(...Object.values(names));
  return names;
}

describePageClaimContract('dynamodb', async () => new DynamoDbPageClaimStore(doc, (await freshTables()).inbound));

describe('dynamodb page claims written before spans', () => {
  it('a claim with one `endKey` (a worker of before spans) reads as that one end, and no list of ends replaces it', async () => {
    const names = await freshTables();
    const claims = new DynamoDbPageClaimStore(doc, names.inbound);
    const page = { messageId: 'm-old', startKey: 'k-0' };
    const now = 4_000_000_000_000;
    const id = createHash('sha256').update(page.startKey).digest('hex');
    await doc.send(new PutCommand({ TableName: names.inbound, Item: { sessionId: 'page#m-old', id, leaseUntil: now - 1, endKey: 'k-7', expiresAt: Math.ceil((now + 86_400_000) / 1000), expiresAtMs: now + 86_400_000 } }));
    expect(await claims.claim(page, now + 30_000, now, now + 86_400_000)).toEqual({ result: 'again', ends: [{ endKey: 'k-7' }] });
    expect(await claims.recordEnds(page, [{ endKey: 'k-9' }, { endKey: 'k-19' }])).toEqual([{ endKey: 'k-7' }]);
  });
});
