import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * A DynamoDBClient that counts what the service asks of DynamoDB: requests per operation,
 * consumed write and read units (it sets `ReturnConsumedCapacity: 'INDEXES'` on every call
 * that takes it, so table and index units come back apart), and the items Query and Scan read.
 */

/** Operations that take ReturnConsumedCapacity. */
const CAPACITY_COMMANDS = new Set([
  'PutItemCommand',
  'DeleteItemCommand',
  'UpdateItemCommand',
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchWriteItemCommand',
  'BatchGetItemCommand',
  'TransactWriteItemsCommand',
  'TransactGetItemsCommand',
]);

const WRITES = new Set(['PutItemCommand', 'DeleteItemCommand', 'UpdateItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

export interface DynamoDbCounts {
  requests: number;
  /** Requests by operation (PutItem, BatchWriteItem, ...). */
  byOperation: Record<string, number>;
  /** Write units consumed on base tables / on their indexes. */
  writeUnitsTable: number;
  writeUnitsIndex: number;
  readUnitsTable: number;
  readUnitsIndex: number;
  /**
   * Read units AWS bills that DynamoDB Local does not report: a key that GetItem or BatchGetItem
   * does not find, and a Query or Scan that reads nothing, still cost the minimum read (0.5
   * eventually consistent, 1 strongly consistent, per key or per request) on DynamoDB, while
   * DynamoDB Local reports 0 for them. Added to the read units of every cost figure.
   */
  readUnitsUnreported: number;
  /** Items Query and Scan evaluated (ScannedCount) and returned (Count); BatchGet/Get items returned. */
  itemsScanned: number;
  itemsReturned: number;
  /** Requests that answered without ConsumedCapacity (their units are then not counted). */
  requestsWithoutCapacity: number;
  /** Requests that failed (a failed condition still consumes write units on AWS). */
  failed: number;
  /**
   * Items written: 1 per PutItem, DeleteItem, UpdateItem; a BatchWriteItem's puts and deletes
   * less those handed back unprocessed; a transaction's items. What the DynamoDB Local ceiling
   * (bench/ceiling.ts) is measured in.
   */
  writeItems: number;
}

export function emptyCounts(): DynamoDbCounts {
  return {
    requests: 0,
    byOperation: {},
    writeUnitsTable: 0,
    writeUnitsIndex: 0,
    readUnitsTable: 0,
    readUnitsIndex: 0,
    readUnitsUnreported: 0,
    itemsScanned: 0,
    itemsReturned: 0,
    requestsWithoutCapacity: 0,
    failed: 0,
    writeItems: 0,
  };
}

export function diffCounts(after: DynamoDbCounts, before: DynamoDbCounts): DynamoDbCounts {
  const byOperation: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.byOperation)) {
    const d = n - (before.byOperation[op] ?? 0);
    if (d !== 0) byOperation[op] = d;
  }
  return {
    requests: after.requests - before.requests,
    byOperation,
    writeUnitsTable: after.writeUnitsTable - before.writeUnitsTable,
    writeUnitsIndex: after.writeUnitsIndex - before.writeUnitsIndex,
    readUnitsTable: after.readUnitsTable - before.readUnitsTable,
    readUnitsIndex: after.readUnitsIndex - before.readUnitsIndex,
    readUnitsUnreported: after.readUnitsUnreported - before.readUnitsUnreported,
    itemsScanned: after.itemsScanned - before.itemsScanned,
    itemsReturned: after.itemsReturned - before.itemsReturned,
    requestsWithoutCapacity: after.requestsWithoutCapacity - before.requestsWithoutCapacity,
    failed: after.failed - before.failed,
    writeItems: after.writeItems - before.writeItems,
  };
}

interface Capacity {
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
  Table?: { CapacityUnits?: number; WriteCapacityUnits?: number; ReadCapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

export interface MeteredClient {
  client: DynamoDBClient;
  counts: DynamoDbCounts;
}

/** Two counts added together (what a run counted in the runtime, and what a sweep after it counted). */
export function sumCounts(a: DynamoDbCounts, b: DynamoDbCounts): DynamoDbCounts {
  const byOperation: Record<string, number> = { ...a.byOperation };
  for (const [op, n] of Object.entries(b.byOperation)) byOperation[op] = (byOperation[op] ?? 0) + n;
  const sum = { ...a, byOperation };
  for (const key of Object.keys(a) as Array<keyof DynamoDbCounts>) {
    if (key !== 'byOperation') (sum[key] as number) = (a[key] as number) + (b[key] as number);
  }
  return sum;
}

/** A client with the counting middleware; `counts` grows as requests complete. */
export function meteredDynamoDbClient(config: DynamoDBClientConfig = {}): MeteredClient {
  const counts = emptyCounts();
  return { client: meterDynamoDb(new DynamoDBClient(config), counts), counts };
}

/**
 * Adds the counting middleware to `client` (one of several: each function of the runtime has its
 * own client, all counted into one `counts`) and returns it.
 */
export function meterDynamoDb(client: DynamoDBClient, counts: DynamoDbCounts): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      const input = args.input as Record<string, unknown>;
      const metered = CAPACITY_COMMANDS.has(name);
      if (metered) input.ReturnConsumedCapacity = 'INDEXES';
      const operation = name.replace(/Command$/, '');
      counts.requests += 1;
      counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
      try {
        const result = await next(args);
        const output = result.output as unknown as Record<string, unknown>;
        if (metered) record(name, output, counts);
        if (WRITES.has(name)) counts.writeItems += itemsWritten(name, input, output);
        counts.readUnitsUnreported += unreportedReadUnits(name, input, output);
        return result;
      } catch (error) {
        counts.failed += 1;
        // A failed condition answers with the units it consumed when asked (ReturnConsumedCapacity is honoured on errors only in some SDKs); count what is there.
        throw error;
      }
    },
    { step: 'initialize', name: 'qosgateBenchMeter', priority: 'high' },
  );
  return client;
}

/**
 * What AWS would bill and DynamoDB Local reports as 0: the keys a GetItem or BatchGetItem did
 * not find, and the minimum read of a Query or Scan below it (see {@link DynamoDbCounts.readUnitsUnreported}).
 */
export function unreportedReadUnits(name: string, input: Record<string, unknown>, output: Record<string, unknown>): number {
  const unit = (consistent: unknown) => (consistent === true ? 1 : 0.5);
  if (name === 'GetItemCommand') return output.Item === undefined ? unit(input.ConsistentRead) : 0;
  if (name === 'QueryCommand' || name === 'ScanCommand') {
    const reported = (output.ConsumedCapacity as Capacity | undefined)?.CapacityUnits ?? 0;
    return Math.max(0, unit(input.ConsistentRead) - reported);
  }
  if (name !== 'BatchGetItemCommand') return 0;
  const asked = (input.RequestItems ?? {}) as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
  const found = (output.Responses ?? {}) as Record<string, unknown[]>;
  const unprocessed = (output.UnprocessedKeys ?? {}) as Record<string, { Keys?: unknown[] }>;
  let units = 0;
  for (const [table, request] of Object.entries(asked)) {
    const missing = (request.Keys?.length ?? 0) - (found[table]?.length ?? 0) - (unprocessed[table]?.Keys?.length ?? 0);
    units += Math.max(0, missing) * unit(request.ConsistentRead);
  }
  return units;
}

/** How many items a successful write request wrote (see {@link DynamoDbCounts.writeItems}). */
function itemsWritten(name: string, input: Record<string, unknown>, output: Record<string, unknown>): number {
  const count = (byTable: unknown) => Object.values((byTable ?? {}) as Record<string, unknown[]>).reduce((n, list) => n + list.length, 0);
  if (name === 'BatchWriteItemCommand') return count(input.RequestItems) - count(output.UnprocessedItems);
  if (name === 'TransactWriteItemsCommand') return ((input.TransactItems ?? []) as Array<Record<string, unknown>>).filter((t) => !t.ConditionCheck).length;
  return 1;
}

function record(name: string, output: Record<string, unknown>, counts: DynamoDbCounts): void {
  const raw = output.ConsumedCapacity as Capacity | Capacity[] | undefined;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) counts.requestsWithoutCapacity += 1;
  const write = WRITES.has(name);
  for (const c of list) {
    const total = c.CapacityUnits ?? 0;
    const table = c.Table?.CapacityUnits ?? (c.GlobalSecondaryIndexes || c.LocalSecondaryIndexes ? 0 : total);
    const index = total - table;
    if (write) {
      counts.writeUnitsTable += table;
      counts.writeUnitsIndex += index;
    } else {
      counts.readUnitsTable += table;
      counts.readUnitsIndex += index;
    }
  }
  if (typeof output.ScannedCount === 'number') counts.itemsScanned += output.ScannedCount;
  if (typeof output.Count === 'number') counts.itemsReturned += output.Count;
  if (name === 'GetItemCommand' && output.Item) counts.itemsReturned += 1;
  if (name === 'BatchGetItemCommand') {
    for (const items of Object.values((output.Responses ?? {}) as Record<string, unknown[]>)) counts.itemsReturned += items.length;
  }
}
