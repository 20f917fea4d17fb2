import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { TABLES, TTL_ATTRIBUTE, type IndexSchema, type TableName, type TableSchema } from './schema.js';

/**
 * Creates the tables of TABLES outside CloudFormation: in DynamoDB Local for the tests and the
 * local runtime. The CDK stack builds the same tables from the same schema in the cloud.
 * Safe to run again on existing tables.
 */
export async function createTables(
  client: DynamoDBClient,
  names: Record<TableName, string>,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const tables = Object.keys(TABLES) as TableName[];
  await Promise.all(tables.map((table) => createTable(client, names[table], TABLES[table], options.timeoutMs ?? 60_000)));
}

/** `<prefix>-connections`, `<prefix>-pending` ...: one name per table. */
export function prefixedTableNames(prefix: string): Record<TableName, string> {
  const tables = Object.keys(TABLES) as TableName[];
  return Object.fromEntries(tables.map((table) => [table, `${prefix}-${table}`])) as Record<TableName, string>;
}

async function createTable(client: DynamoDBClient, name: string, schema: TableSchema, timeoutMs: number): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(name, schema)));
  } catch (error) {
    // Already there (a second run of the local runtime): make sure it is ready and has its TTL.
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  await waitUntilActive(client, name, timeoutMs);
  await enableTtl(client, name, schema.ttlAttribute);
}

function createTableInput(name: string, schema: TableSchema): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const define = (key: { name: string; type: 'S' | 'N' }) =>
    attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });

  define(schema.partitionKey);
  if (schema.sortKey) define(schema.sortKey);
  for (const index of schema.indexes) {
    define(index.partitionKey);
    if (index.sortKey) define(index.sortKey);
  }

  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(schema),
    ...(schema.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: schema.stream } } : {}),
    ...(schema.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: schema.indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index),
            Projection: { ProjectionType: index.projection },
          })),
        }
      : {}),
  };
}

function keySchema(keys: Pick<TableSchema | IndexSchema, 'partitionKey' | 'sortKey'>): KeySchemaElement[] {
  return [
    { AttributeName: keys.partitionKey.name, KeyType: 'HASH' },
    ...(keys.sortKey ? [{ AttributeName: keys.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

/** The table and each of its indexes must be ACTIVE before they take reads and writes. */
async function waitUntilActive(client: DynamoDBClient, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`qosgate: table ${name} is not ACTIVE after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function enableTtl(client: DynamoDBClient, name: string, attribute: typeof TTL_ATTRIBUTE): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  // Enabling twice is an error in DynamoDB, so a re-run only enables what is not on yet.
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
    }),
  );
}
