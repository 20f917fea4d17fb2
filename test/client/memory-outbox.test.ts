import { MemoryOutbox } from '../../client/memory-outbox.js';
import { outboxContract } from './outbox-contract.js';

outboxContract('MemoryOutbox', () => new MemoryOutbox());
