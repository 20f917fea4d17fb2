import { MemoryPageQueue } from '../../../lambdas/adapters/memory/memory-page-queue.js';
import { describePageQueueContract } from '../page-queue-contract.js';

describePageQueueContract('memory', async () => {
  const queue = new MemoryPageQueue();
  return { queue, received: async () => queue.take(), refuseSends: (count) => queue.fail(count), close: async () => {} };
});
