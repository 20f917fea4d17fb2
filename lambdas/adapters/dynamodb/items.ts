import { QueryCommand, type DynamoDBDocumentClient, type NativeAttributeValue, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * What every DynamoDB adapter shares: the TTL pair, the JSON `data` attribute, the expiry rule
 * and how a failed condition is recognised. The item layouts themselves live in each store.
 */

/** An item as the DocumentClient reads and writes it. */
export type Item = Record<string, NativeAttributeValue>;

/**
 * The TTL pair every item carries: `expiresAt` in epoch seconds because DynamoDB's TTL wants
 * seconds (rounded up, so storage never forgets before the domain said), and `expiresAtMs`
 * with the exact domain value, which reads give back and conditions compare with `now`.
 */
export function expiry(expiresAtMs: number): { expiresAt: number; expiresAtMs: number } {
  return { expiresAt: Math.ceil(expiresAtMs / 1000), expiresAtMs };
}

/**
 * An item is live until its expiry instant has passed (`expiresAt < now` is expired). DynamoDB
 * deletes expired items up to days late, so every read applies this rule itself.
 */
export function isLive(item: Item, now: number): boolean {
  return typeof item.expiresAtMs === 'number' && item.expiresAtMs >= now;
}

/** The same rule as a FilterExpression; needs `:now` among the values. */
export const LIVE_FILTER = 'expiresAtMs >= :now';

/**
 * `data` is arbitrary JSON; stored as a JSON string it round-trips exactly (an empty string,
 * an empty map or a number with many digits would not survive DynamoDB's own types).
 */
export function toJson(data: unknown): string | undefined {
  return data === undefined ? undefined : JSON.stringify(data);
}

/** The stored JSON string back to the value; an absent attribute is undefined data. */
export function fromJson(text: NativeAttributeValue): unknown {
  return typeof text === 'string' ? JSON.parse(text) : undefined;
}

/**
 * Drops properties whose value is undefined: the injected DocumentClient may not be set to
 * remove them, and an absent optional field must stay absent when read back.
 */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** SDK v3 names the error; status codes are not how it is told apart. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Whether a conditional write happened: a failed condition means someone else's write stands. */
export async function unlessChanged(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    return false;
  }
}

/**
 * The item that made a condition fail, sent back because the request asked for
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`. The DocumentClient does not unmarshall
 * errors, so this does.
 */
export function itemOfFailedCondition(error: unknown): Item | undefined {
  const raw = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return raw === undefined ? undefined : unmarshall(raw);
}

/**
 * Runs a Query page by page (one DynamoDB request per page), so fan-out can hand on each page
 * before the next is read.
 */
export async function* queryPages(doc: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<Item[]> {
  let startKey: Item | undefined;
  do {
    const page = await doc.send(new QueryCommand(startKey === undefined ? input : { ...input, ExclusiveStartKey: startKey }));
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/** Every item a Query finds, all pages. */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(doc, input)) items.push(...page);
  return items;
}

