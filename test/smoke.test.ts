import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { testDynamoDbClient } from './support/dynamodb.js';

describe('test setup', () => {
  it('reaches the DynamoDB Local the global setup started', async () => {
    const client = testDynamoDbClient();
    const out = await client.send(new ListTablesCommand({}));
    expect(Array.isArray(out.TableNames)).toBe(true);
    client.destroy();
  });
});
