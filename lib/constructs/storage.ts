import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableEncryptionV2, TableV2, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type KeyAttribute, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';

export interface StorageProps {
  /**
   * Keep the tables when the stack is deleted or a table replaced (RETAIN plus deletion
   * protection): a production stage's pending messages and dead letters are data. Otherwise
   * (a dev stage) `cdk destroy` takes the tables with it.
   */
  retainData: boolean;
}

/**
 * The DynamoDB tables, built from TABLES (the schema the adapters and DynamoDB Local use),
 * so the deployed keys and indexes cannot drift from what the code queries.
 * Construct ids are the PascalCase table names: `Connections`, `Pending`, `DeadLetters`, ...
 *
 * Every table is on-demand (pay per request, nothing when idle), has point-in-time recovery
 * (35 days of restore points; cdk-nag AwsSolutions-DDB3) and is encrypted at rest with the
 * DynamoDB-owned key, stated explicitly: free, always on, and enough for messages whose
 * confidentiality rests on the WebSocket TLS and IAM (a customer managed KMS key would add
 * $1/month per key plus a KMS request per DynamoDB data-key refresh, for control no one here needs yet).
 */
export class Storage extends Construct {
  readonly tables: Record<TableName, TableV2>;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const tables: Partial<Record<TableName, TableV2>> = {};
    for (const [name, schema] of Object.entries(TABLES) as Array<[TableName, (typeof TABLES)[TableName]]>) {
      tables[name] = new TableV2(this, tableConstructId(name), {
        partitionKey: attribute(schema.partitionKey),
        sortKey: schema.sortKey && attribute(schema.sortKey),
        billing: Billing.onDemand(),
        timeToLiveAttribute: schema.ttlAttribute,
        removalPolicy,
        deletionProtection: props.retainData,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryptionV2.dynamoOwnedKey(),
        ...(schema.stream === 'NEW_IMAGE' ? { dynamoStream: StreamViewType.NEW_IMAGE } : {}),
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
