import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../../lambdas/adapters/memory/index.js';
import type { PendingEntry } from '../../../lambdas/core/types.js';
import { describeStoreContract } from '../store-contract.js';

const PAGE_SIZE = 25;

describeStoreContract('memory', async () => createMemoryStores({ pageSize: PAGE_SIZE }), { pageSize: PAGE_SIZE });

describe('memory stores', () => {
  it('keep their own copies: mutating what went in or came out changes nothing stored', async () => {
    const stores = createMemoryStores();
    const entry: PendingEntry = {
      sessionId: 's1',
      id: 'm1',
      connectionId: 'c1',
      sessionKind: 'clean',
      format: 'json',
      controller: 'monitor',
      topic: 'temp',
      data: { value: 1 },
      qos: 1,
      state: 'sent',
      parked: false,
      attempts: 1,
      createdAt: 0,
      deadlineAt: 10,
      dueAt: 5,
      expiresAt: 20,
    };
    await stores.pending.putMany([entry]);
    (entry.data as { value: number }).value = 2;
    entry.dueAt = 99;

    const [read] = await stores.pending.getMany([{ sessionId: 's1', id: 'm1' }], 0);
    expect(read?.data).toEqual({ value: 1 });
    expect(read?.dueAt).toBe(5);
    if (read) read.attempts = 7;
    expect((await stores.pending.ofSession('s1', 0))[0]?.attempts).toBe(1);
  });
});
