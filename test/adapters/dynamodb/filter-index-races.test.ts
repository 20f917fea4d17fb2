import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDbStores, createTables, prefixedTableNames } from '../../../lambdas/adapters/dynamodb/index.js';
import type { Subscription } from '../../../lambdas/core/types.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/**
 * The filter index against a subscribe racing the last unsubscribe (lambdas/adapters/dynamodb/
 * filter-index.ts): whichever way they interleave, a filter with a subscriber stays findable.
 * The unsubscribe's client pauses after a chosen request of its own, and the subscribe runs
 * whole on another client in that gap.
 */
const NOW = 4_000_000_000_000;
const client = testDynamoDbClient();
afterAll(() => client.destroy());

/** A document client whose next request matching `when` is followed, once, by `gap()` before the caller sees its answer. */
function pausingClient(when: (command: string, input: Record<string, unknown>) => boolean) {
  const doc = testDocumentClient(testDynamoDbClient());
  let gap: (() => Promise<void>) | undefined;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (gap && when(context.commandName ?? '', args.input as Record<string, unknown>)) {
        const run = gap;
        gap = undefined;
        await run();
      }
      return result;
    },
    { step: 'initialize', name: 'pauseOnce' },
  );
  return { doc, inGap: (run: () => Promise<void>) => (gap = run) };
}

const subscription = (sessionId: string): Subscription => ({
  sessionId,
  connectionId: `c-${sessionId}`,
  sessionKind: 'clean',
  claimedQos: 1,
  format: 'json',
  subscriptionQos: 1,
  controller: 'monitor',
  topic: 'site-1/#',
  expiresAt: NOW + 60_000,
});

async function race(pauseAfter: (command: string, input: Record<string, unknown>) => boolean): Promise<string[]> {
  const names = prefixedTableNames(uniquePrefix('filter-race'));
  await createTables(client, names);
  const paused = pausingClient(pauseAfter);
  const unsubscriber = createDynamoDbStores(paused.doc, names, { resendShards: 1 });
  const subscriber = createDynamoDbStores(testDocumentClient(client), names, { resendShards: 1 });
  await subscriber.subscriptions.put(subscription('s1'));
  paused.inGap(() => subscriber.subscriptions.put(subscription('s2')));
  await unsubscriber.subscriptions.delete('monitor', 'site-1/#', 's1');
  return subscriber.subscriptions.filtersMatching('monitor', 'site-1/boiler/temp', NOW);
}

describe('the filter index keeps a filter that has a subscriber, however subscribe and the last unsubscribe interleave', () => {
  it('a subscribe between the unsubscribe’s version read and its look for subscribers: the look finds it', async () => {
    expect(await race((command) => command === 'GetItemCommand')).toEqual(['site-1/#']);
  });

  it('a subscribe between the look (nobody) and the delete: the delete’s version condition fails', async () => {
    expect(await race((command, input) => command === 'QueryCommand' && input.Limit === 1)).toEqual(['site-1/#']);
  });

  it('a subscribe after the delete: it indexes the filter again', async () => {
    expect(await race((command, input) => command === 'DeleteItemCommand' && input.ConditionExpression === 'version = :v')).toEqual(['site-1/#']);
  });

  it('with no subscribe at all, the last unsubscribe takes the filter out', async () => {
    expect(await race(() => false)).toEqual([]);
  });
});
