import { Agent } from 'node:http';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The DynamoDB Local ceiling: how many items per second the store itself takes when written
 * the cheapest way there is (BatchWriteItem, 25 items a request, several requests in flight),
 * measured in the same run as the throughput it is compared with. Divided by the write items a
 * delivery takes (measured too), it is the most deliveries per second any code on this store
 * could reach here; the local throughput targets are fractions of it (issue 13).
 */
export interface CeilingResult {
  /** Items written per run, and their size (bytes of attribute names and values, about). */
  items: number;
  itemBytes: number;
  /** Item writes per second at each concurrency tried (BatchWriteItem requests in flight). */
  byConcurrency: Array<{ concurrency: number; itemWritesPerSecond: number }>;
  /** The best of them: the ceiling. */
  itemWritesPerSecond: number;
  concurrency: number;
}

/** Items of about 300 bytes: a pending reference, a subscription, a due marker are of this order. */
export const CEILING_ITEM_BYTES = 300;

const TABLE = 'qosgate-bench-ceiling';

/** Writes `items` items at each of `concurrencies` into a scratch table (created, then deleted). */
export async function measureCeiling(endpoint: string, items: number, concurrencies: number[]): Promise<CeilingResult> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: Math.max(...concurrencies) }) },
  });
  const doc = DynamoDBDocumentClient.from(client);
  await createScratchTable(client, TABLE);
  try {
    const padding = 'x'.repeat(CEILING_ITEM_BYTES - 60);
    const byConcurrency: CeilingResult['byConcurrency'] = [];
    // A first round that is not counted: the JVM compiles its write path on the first thousands.
    for (const [round, concurrency] of [Math.max(...concurrencies), ...concurrencies].entries()) {
      const count = round === 0 ? Math.ceil(items / 4) : items;
      const requests = Array.from({ length: Math.ceil(count / 25) }, (_, r) =>
        Array.from({ length: Math.min(25, count - r * 25) }, (_, i) => ({
          PutRequest: { Item: { pk: `ceiling#${(r * 25 + i) % 256}`, sk: `${round}#${String(r * 25 + i).padStart(9, '0')}`, n: r * 25 + i, data: padding } },
        })),
      );
      let next = 0;
      let written = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < requests.length) {
            let pending: unknown[] = requests[next++] as unknown[];
            while (pending.length > 0) {
              const out = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: pending as never } }));
              const rest = (out.UnprocessedItems?.[TABLE] ?? []) as unknown[];
              written += pending.length - rest.length;
              pending = rest;
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      if (round > 0) byConcurrency.push({ concurrency, itemWritesPerSecond: Math.round(written / seconds) });
    }
    const best = byConcurrency.reduce((a, b) => (b.itemWritesPerSecond > a.itemWritesPerSecond ? b : a));
    return { items, itemBytes: CEILING_ITEM_BYTES, byConcurrency, itemWritesPerSecond: best.itemWritesPerSecond, concurrency: best.concurrency };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: TABLE })).catch(() => {});
    client.destroy();
  }
}

/** An on-demand table keyed `pk` / `sk` (strings) for a bench case's own items; the case deletes it. */
export async function createScratchTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

/** The ceiling in deliveries per second, for code that writes `writeItemsPerDelivery` items per delivery. */
export function ceilingDeliveriesPerSecond(ceiling: Pick<CeilingResult, 'itemWritesPerSecond'>, writeItemsPerDelivery: number): number {
  return writeItemsPerDelivery > 0 ? Math.round(ceiling.itemWritesPerSecond / writeItemsPerDelivery) : NaN;
}
