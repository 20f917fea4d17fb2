import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type KeyAttribute, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';

export interface StorageProps {
  /** DESTROY until a later issue adds retention and point-in-time recovery. */
  removalPolicy?: RemovalPolicy;
}

/**
 * The DynamoDB tables, built from TABLES (the schema the adapters and DynamoDB Local use),
 * so the deployed keys and indexes cannot drift from what the code queries.
 * Construct ids are the PascalCase table names: `Connections`, `Pending`, `DeadLetters`, ...
 */
export class Storage extends Construct {
  readonly tables: Record<TableName, TableV2>;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const tables: Partial<Record<TableName, TableV2>> = {};
    for (const [name, schema] of Object.entries(TABLES) as Array<[TableName, (typeof TABLES)[TableName]]>) {
      tables[name] = new TableV2(this, tableConstructId(name), {
        partitionKey: attribute(schema.partitionKey),
        sortKey: schema.sortKey && attribute(schema.sortKey),
        billing: Billing.onDemand(),
        timeToLiveAttribute: schema.ttlAttribute,
        removalPolicy,
        globalSecondaryIndexes: schema.indexes.map((index) => ({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey && attribute(index.sortKey),
          projectionType: index.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
        })),
      });
    }
    this.tables = tables as Record<TableName, TableV2>;
  }
}

/** `deadLetters` -> `DeadLetters`: the construct id (and the start of the output name) of a table. */
export function tableConstructId(name: TableName): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
