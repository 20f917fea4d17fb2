import type { ControllerRegistry } from '../core/controllers/registry.js';
import type { QosPolicy } from '../core/policy.js';
import type { Clock, ConnectionGateway, Stores } from '../ports/index.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { PageClaimStore } from '../ports/page-claim-store.js';
import type { PageQueue } from '../ports/page-queue.js';
import type { FanoutConfig } from '../config.js';

/** What a fan-out beyond one page uses (docs/architecture.md "Fan-out beyond one Lambda"). */
export interface FanoutDeps {
  queue: PageQueue;
  claims: PageClaimStore;
  config: FanoutConfig;
}

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
  /**
   * Page jobs for audiences larger than one inline page. Without it (in-memory hosts, most
   * tests) a delivery reads and hands on every page itself, as before queues.
   */
  fanout?: FanoutDeps;
}
