import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, PutItemCommand, GetItemCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableSchemaMismatchError, ensureTables, localTableName } from '../../../local/dynamodb/create-tables-from-template.js';
import { readAppModel, type AppModel, type TableModel } from '../../../local/template/app-model.js';
import { synthTemplate } from '../../../local/template/synth.js';
import { testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/** ensureTables on the run's DynamoDB Local; each test has its own table prefix. */

let model: AppModel;
let client: DynamoDBClient;

beforeAll(() => {
  model = readAppModel(synthTemplate());
  client = testDynamoDbClient();
}, 120_000);

afterAll(() => client?.destroy());

const pendingOf = (m: AppModel): TableModel => m.tables.find((t) => t.id === 'Pending')!;

describe('ensureTables', () => {
  it('names tables <prefix>-<ConstructId>, qosgate-<stage> by default', () => {
    expect(localTableName({ id: 'Pending' }, `qosgate-${model.stageName}`)).toBe('qosgate-dev-Pending');
  });

  it('finds the tables it created on a second run, data kept', async () => {
    const prefix = uniquePrefix('ensure');
    const names = await ensureTables(client, model, prefix);
    expect(Object.values(names).sort()).toEqual(model.tables.map((t) => `${prefix}-${t.id}`).sort());
    const retained = names[model.tables.find((t) => t.id === 'Retained')!.logicalId]!;
    await client.send(new PutItemCommand({ TableName: retained, Item: { topicKey: { S: 'c|t' }, data: { S: 'kept' } } }));

    expect(await ensureTables(client, model, prefix)).toEqual(names);
    const { Item } = await client.send(new GetItemCommand({ TableName: retained, Key: { topicKey: { S: 'c|t' } } }));
    expect(Item?.data).toEqual({ S: 'kept' });
  });

  it("gives the history table the template's stream (NEW_IMAGE), and one to a history table made before it had one, data kept", async () => {
    const history = model.tables.find((t) => t.id === 'History')!;
    expect(history.streamViewType).toBe('NEW_IMAGE');
    const prefix = uniquePrefix('stream');
    const names = await ensureTables(client, model, prefix);
    const described = await client.send(new DescribeTableCommand({ TableName: names[history.logicalId] }));
    expect(described.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    const arn = described.Table?.LatestStreamArn;
    // A second start leaves that stream alone (a new one would drop what the old one holds).
    await ensureTables(client, model, prefix);
    expect((await client.send(new DescribeTableCommand({ TableName: names[history.logicalId] }))).Table?.LatestStreamArn).toBe(arn);

    const older = uniquePrefix('older');
    const name = localTableName(history, older);
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: history.keySchema.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
        AttributeDefinitions: history.attributeDefinitions.map((a) => ({ AttributeName: a.attributeName, AttributeType: a.attributeType })),
      }),
    );
    await client.send(new PutItemCommand({ TableName: name, Item: { topicKey: { S: 'c|t' }, msgKey: { S: '1#m' } } }));
    await ensureTables(client, model, older);
    expect((await client.send(new DescribeTableCommand({ TableName: name }))).Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect((await client.send(new GetItemCommand({ TableName: name, Key: { topicKey: { S: 'c|t' }, msgKey: { S: '1#m' } } }))).Item).toBeDefined();
  });

  it('sets TTL back to what the template says', async () => {
    const prefix = uniquePrefix('ttl');
    const names = await ensureTables(client, model, prefix);
    const pending = names[pendingOf(model).logicalId]!;
    await client.send(new UpdateTimeToLiveCommand({ TableName: pending, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: false } }));
    await ensureTables(client, model, prefix);
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: pending }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('refuses a table whose keys differ from the template, telling the user what to do', async () => {
    const prefix = uniquePrefix('keys');
    await client.send(
      new CreateTableCommand({
        TableName: localTableName(pendingOf(model), prefix),
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'sessionId', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'sessionId', AttributeType: 'S' }],
      }),
    );
    const failure = ensureTables(client, model, prefix);
    await expect(failure).rejects.toThrow(TableSchemaMismatchError);
    await expect(failure).rejects.toThrow(/key schema is \(sessionId:HASH\), the template's is \(sessionId:HASH, id:RANGE\)/);
    await expect(failure).rejects.toThrow(/delete the local data folder, or run with --in-memory/);
  });

  it('refuses a table whose indexes differ from the template', async () => {
    const prefix = uniquePrefix('indexes');
    const changed = structuredClone(model);
    pendingOf(changed).globalSecondaryIndexes[0]!.projection = { projectionType: 'ALL' };
    await ensureTables(client, changed, prefix);

    const failure = ensureTables(client, model, prefix);
    await expect(failure).rejects.toThrow(/global secondary indexes are \(byDue \[dueShard:HASH, dueAt:RANGE\] ALL\), the template's are \(byDue \[dueShard:HASH, dueAt:RANGE\] KEYS_ONLY\)/);
  });
});
