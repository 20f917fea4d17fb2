import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { transactWrite, type TransactItem } from '../../../lambdas/adapters/dynamodb/transact.js';

/**
 * A TransactionConflict (another write on the same items while the transaction ran) cannot be
 * produced on purpose against DynamoDB Local, so it is injected here. The condition-failed case
 * is also shown for real by the store contract suite (openSessionControllers of a connection
 * that does not serve the session).
 */
const client = new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const doc = DynamoDBDocumentClient.from(client);
const mock = mockClient(doc);
const ITEMS: TransactItem[] = [{ ConditionCheck: { TableName: 't', Key: { pk: 'a', sk: 'b' }, ConditionExpression: 'attribute_exists(pk)' } }];

function cancelled(...codes: string[]): Error {
  return Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: codes.map((Code) => ({ Code })) });
}

beforeEach(() => mock.reset());
afterAll(() => {
  mock.restore();
  client.destroy();
});

describe('transactWrite', () => {
  it('is true when the transaction commits', async () => {
    mock.on(TransactWriteCommand).resolves({});
    await expect(transactWrite(doc, ITEMS)).resolves.toBe(true);
  });

  it('is false when a condition failed: someone else’s write stands', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    await expect(transactWrite(doc, ITEMS)).resolves.toBe(false);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('tries again after a conflict with a concurrent write, and gives up after five tries', async () => {
    mock.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    await expect(transactWrite(doc, ITEMS)).resolves.toBe(true);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(2);

    mock.reset();
    mock.on(TransactWriteCommand).rejects(cancelled('TransactionConflict'));
    await expect(transactWrite(doc, ITEMS)).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });

  it('throws any other error as it is', async () => {
    mock.on(TransactWriteCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(transactWrite(doc, ITEMS)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });
});
