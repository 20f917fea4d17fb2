/**
 * What the in-memory stores share, so they behave as the DynamoDB ones do: the same expiry
 * rule, copies in and out (a caller mutating a record must not change the store, as with a
 * database), `data` through JSON (what DynamoDB keeps is its JSON string), and no absent
 * optional field turning up as `undefined`.
 */

/** Live until the expiry instant has passed: `expiresAt < now` is expired (as in items.ts). */
export function isLive(record: { expiresAt: number }, now: number): boolean {
  return record.expiresAt >= now;
}

/** A deep copy with undefined properties dropped and `data`, where there is one, through JSON. */
export function copy<T extends object>(record: T): T {
  const clone = structuredClone(record) as Record<string, unknown>;
  if ('data' in record) clone.data = jsonCopy((record as { data: unknown }).data);
  return compact(clone) as T;
}

/** What storing `data` as a JSON string and reading it back gives. */
export function jsonCopy(data: unknown): unknown {
  return data === undefined ? undefined : JSON.parse(JSON.stringify(data));
}

/** Drops properties whose value is undefined, as a DynamoDB item would not have them. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Splits a result into pages as a paginated Query would hand them out. */
export function* pages<T>(items: T[], pageSize: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += pageSize) yield items.slice(i, i + pageSize);
}

/** The order DynamoDB sorts string keys in for the ASCII names used here. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Default page size of the fan-out reads; small enough that tests see paging without trying. */
export const DEFAULT_PAGE_SIZE = 100;
