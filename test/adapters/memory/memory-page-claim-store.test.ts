import { MemoryPageClaimStore } from '../../../lambdas/adapters/memory/memory-page-claim-store.js';
import { describePageClaimContract } from '../page-claim-contract.js';

describePageClaimContract('memory', async () => new MemoryPageClaimStore());
