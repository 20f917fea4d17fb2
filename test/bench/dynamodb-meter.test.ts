import { describe, expect, it } from 'vitest';
import { missingKeyReadUnits } from '../../bench/dynamodb-meter.js';

/**
 * DynamoDB Local reports no read units for a key that a read does not find; AWS bills the
 * minimum read for it. The bench adds what AWS would bill, so the due markers' check of acked
 * (deleted) entries and the per-ack-frame read of an absent backlog flag are counted.
 */
describe('missingKeyReadUnits', () => {
  it('bills a BatchGetItem key that was not found 0.5 (eventually consistent) or 1 (strongly consistent); found and unprocessed keys add nothing here', () => {
    const input = {
      RequestItems: {
        pending: { Keys: [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }] },
        messages: { Keys: [{ k: 1 }, { k: 2 }], ConsistentRead: true },
      },
    };
    const output = { Responses: { pending: [{ k: 1 }], messages: [] }, UnprocessedKeys: { pending: { Keys: [{ k: 4 }] } } };
    expect(missingKeyReadUnits('BatchGetItemCommand', input, output)).toBe(2 * 0.5 + 2 * 1);
  });

  it('bills a GetItem that found nothing, by its consistency, and nothing when it found the item or for other commands', () => {
    expect(missingKeyReadUnits('GetItemCommand', { ConsistentRead: true }, {})).toBe(1);
    expect(missingKeyReadUnits('GetItemCommand', {}, {})).toBe(0.5);
    expect(missingKeyReadUnits('GetItemCommand', {}, { Item: { k: 1 } })).toBe(0);
    expect(missingKeyReadUnits('QueryCommand', {}, {})).toBe(0);
  });
});
