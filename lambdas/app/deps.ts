import type { ControllerRegistry } from '../core/controllers/registry.js';
import type { QosPolicy } from '../core/policy.js';
import type { Clock, ConnectionGateway, Stores } from '../ports/index.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';

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
  /**
   * Counters and latencies (telemetry/metric-names.ts). Optional so a host that does not read
   * them (a fuzz test, a bench) need not pass one; the Lambda wiring always does.
   */
  metrics?: Metrics;
}
