import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { AppModel, IndexModel, KeyElement, TableModel } from '../template/app-model.js';

/** A table on disk was made by an older app: its keys or indexes are not the template's. */
export class TableSchemaMismatchError extends Error {
  override readonly name = 'TableSchemaMismatchError';
  constructor(
    readonly tableName: string,
    readonly differences: string[],
  ) {
    super(
      `local table ${tableName} does not match the template (the app changed since it was created):\n` +
        differences.map((d) => `  - ${d}`).join('\n') +
        '\nDynamoDB cannot change a table\'s keys in place and dropping it would lose its data: ' +
        'delete the local data folder, or run with --in-memory.',
    );
  }
}

/** `qosgate-dev-Pending`: readable in any DynamoDB tool pointed at the local endpoint. */
export function localTableName(table: Pick<TableModel, 'id'>, prefix: string): string {
  return `${prefix}-${table.id}`;
}

/**
 * Makes every table of the template exist in `client`'s DynamoDB (Local): created on demand
 * (PAY_PER_REQUEST, the template's keys, attribute definitions and GSIs), checked against the
 * template when already there (a restart on the same data folder), with TTL set as the
 * template sets it. Returns the local table name by template logical id.
 *
 * @param prefix table names are `<prefix>-<ConstructId>`; default `qosgate-<stageName>`.
 * @throws TableSchemaMismatchError when an existing table's keys or indexes differ.
 */
export async function ensureTables(client: DynamoDBClient, model: AppModel, prefix = `qosgate-${model.stageName}`): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  // One at a time: six tables take milliseconds, and it keeps DynamoDB Local's SQLite file calm.
  for (const table of model.tables) {
    const name = localTableName(table, prefix);
    const existing = (await describeTable(client, name)) ?? (await createTable(client, table, name));
    const differences = schemaDifferences(table, existing);
    if (differences.length > 0) throw new TableSchemaMismatchError(name, differences);
    await waitUntilActive(client, name, existing);
    await applyTimeToLive(client, table, name);
    await applyStream(client, table, name);
    names[table.logicalId] = name;
  }
  return names;
}

async function createTable(client: DynamoDBClient, table: TableModel, name: string): Promise<TableDescription> {
  try {
    const created = await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: table.keySchema.map(toKeyElement),
        AttributeDefinitions: table.attributeDefinitions.map((a) => ({ AttributeName: a.attributeName, AttributeType: a.attributeType })),
        GlobalSecondaryIndexes:
          table.globalSecondaryIndexes.length === 0
            ? undefined
            : table.globalSecondaryIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: index.keySchema.map(toKeyElement),
                Projection: { ProjectionType: index.projection.projectionType, NonKeyAttributes: index.projection.nonKeyAttributes },
              })),
        ...(table.streamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType } } : {}),
      }),
    );
    return created.TableDescription ?? {};
  } catch (error) {
    // Someone else (another runtime on the same data) created it between describe and create.
    if ((error as Error).name === 'ResourceInUseException') {
      const raced = await describeTable(client, name);
      if (raced) return raced;
    }
    throw error;
  }
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, name: string, description: TableDescription): Promise<void> {
  // DynamoDB Local creates tables ACTIVE at once, unless started with -delayTransientStatuses.
  let status = description.TableStatus;
  const deadline = Date.now() + 30_000;
  while (status !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`local table ${name} is still ${status} after 30 s`);
    await new Promise((done) => setTimeout(done, 100));
    status = (await describeTable(client, name))?.TableStatus;
  }
}

/**
 * A table the template gives a stream (the history table: the ingestion sink's source) gets it
 * on a data folder made before it had one: turning a stream on loses nothing. Its records start
 * then; what the table held before is not replayed.
 */
async function applyStream(client: DynamoDBClient, table: TableModel, name: string): Promise<void> {
  if (!table.streamViewType) return;
  // Described again: CreateTable's answer may leave the stream out.
  if ((await describeTable(client, name))?.StreamSpecification?.StreamEnabled) return;
  await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType } }));
}

/** TTL is set to what the template says, either way: changing it loses no data, unlike keys. */
async function applyTimeToLive(client: DynamoDBClient, table: TableModel, name: string): Promise<void> {
  const current = (await client.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
  const enabled = current?.TimeToLiveStatus === 'ENABLED' || current?.TimeToLiveStatus === 'ENABLING';
  const currentAttribute = enabled ? current?.AttributeName : undefined;
  if (currentAttribute === table.ttlAttribute) return;
  if (currentAttribute !== undefined) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: currentAttribute, Enabled: false } }));
  }
  if (table.ttlAttribute !== undefined) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true } }));
  }
}

/** What differs between the template's table and the one in DynamoDB, in words; empty when they agree. */
export function schemaDifferences(table: TableModel, actual: TableDescription): string[] {
  const differences: string[] = [];
  const keys = (elements: Array<{ AttributeName?: string; KeyType?: string }> | undefined) => (elements ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(', ');
  const wantedKeys = keys(table.keySchema.map(toKeyElement));
  if (keys(actual.KeySchema) !== wantedKeys) differences.push(`key schema is (${keys(actual.KeySchema)}), the template's is (${wantedKeys})`);

  const types = (defs: Array<{ AttributeName?: string; AttributeType?: string }>) => defs.map((a) => `${a.AttributeName}:${a.AttributeType}`).sort().join(', ');
  const wantedTypes = types(table.attributeDefinitions.map((a) => ({ AttributeName: a.attributeName, AttributeType: a.attributeType })));
  const actualTypes = types(actual.AttributeDefinitions ?? []);
  if (actualTypes !== wantedTypes) differences.push(`key attributes are (${actualTypes}), the template's are (${wantedTypes})`);

  const index = (name: string, keySchema: string, projection: string, nonKey: string[] = []) => `${name} [${keySchema}] ${projection}${nonKey.length ? ` +${[...nonKey].sort().join('+')}` : ''}`;
  const wantedIndexes = table.globalSecondaryIndexes.map((i: IndexModel) => index(i.indexName, keys(i.keySchema.map(toKeyElement)), i.projection.projectionType, i.projection.nonKeyAttributes)).sort();
  const actualIndexes = (actual.GlobalSecondaryIndexes ?? [])
    .map((i) => index(i.IndexName ?? '?', keys(i.KeySchema), i.Projection?.ProjectionType ?? '?', i.Projection?.NonKeyAttributes))
    .sort();
  if (actualIndexes.join('; ') !== wantedIndexes.join('; ')) {
    differences.push(`global secondary indexes are (${actualIndexes.join('; ') || 'none'}), the template's are (${wantedIndexes.join('; ') || 'none'})`);
  }
  return differences;
}

function toKeyElement(key: KeyElement): { AttributeName: string; KeyType: 'HASH' | 'RANGE' } {
  return { AttributeName: key.attributeName, KeyType: key.keyType };
}
