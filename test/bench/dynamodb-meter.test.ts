import { describe, expect, it } from 'vitest';
import { unreportedReadUnits } from '../../bench/dynamodb-meter.js';

/**
 * DynamoDB Local reports no read units for a key that a read does not find, nor for a Query that
 * reads nothing; AWS bills the minimum read for each. The bench adds what AWS would bill, so the
 * due markers' check of acked (deleted) entries, the per-ack-frame read of an absent backlog flag
 * and the idle sweep's empty Queries are counted.
 */
describe('unreportedReadUnits', () => {
  it('bills a BatchGetItem key that was not found 0.5 (eventually consistent) or 1 (strongly consistent); found and unprocessed keys add nothing here', () => {
    const input = {
      RequestItems: {
        pending: { Keys: [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }] },
        messages: { Keys: [{ k: 1 }, { k: 2 }], ConsistentRead: true },
      },
    };
    const output = { Responses: { pending: [{ k: 1 }], messages: [] }, UnprocessedKeys: { pending: { Keys: [{ k: 4 }] } } };
    expect(unreportedReadUnits('BatchGetItemCommand', input, output)).toBe(2 * 0.5 + 2 * 1);
  });

  it('bills a GetItem that found nothing, by its consistency, and nothing when it found the item or for other commands', () => {
    expect(unreportedReadUnits('GetItemCommand', { ConsistentRead: true }, {})).toBe(1);
    expect(unreportedReadUnits('GetItemCommand', {}, {})).toBe(0.5);
    expect(unreportedReadUnits('GetItemCommand', {}, { Item: { k: 1 } })).toBe(0);
    expect(unreportedReadUnits('PutItemCommand', {}, {})).toBe(0);
  });

  it('bills a Query or Scan its minimum read where DynamoDB Local reports less (0 for one that reads nothing)', () => {
    expect(unreportedReadUnits('QueryCommand', {}, { ConsumedCapacity: { CapacityUnits: 0 } })).toBe(0.5);
    expect(unreportedReadUnits('QueryCommand', { ConsistentRead: true }, { ConsumedCapacity: { CapacityUnits: 0 } })).toBe(1);
    expect(unreportedReadUnits('ScanCommand', {}, {})).toBe(0.5);
    expect(unreportedReadUnits('QueryCommand', { ConsistentRead: true }, { ConsumedCapacity: { CapacityUnits: 1.5 } })).toBe(0);
  });
});
