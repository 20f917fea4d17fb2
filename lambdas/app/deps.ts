import type { ControllerRegistry } from '../core/controllers/registry.js';
import type { QosPolicy } from '../core/policy.js';
import type { Clock, ConnectionGateway, Stores } from '../ports/index.js';
import type { Logger } from '../ports/logger.js';

/** Everything the handlers use, injected once per container (or per test). */
export interface AppDeps {
  stores: Stores;
  gateway: ConnectionGateway;
  clock: Clock;
  policy: QosPolicy;
  controllers: ControllerRegistry;
  /** A fresh server message id, unique across sessions (see ids.ts). */
  newId: () => string;
  log: Logger;
}
