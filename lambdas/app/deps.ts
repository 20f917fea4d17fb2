import type { ControllerRegistry } from '../core/controllers/registry.js';
import type { ServerPublication } from '../core/presence.js';
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

/** Hands on a message the server publishes itself, as the sender's own publish (app/server-publish.ts). */
export type ServerPublish = (publication: ServerPublication, sender: { sessionId: string; connectionId: string }, now: number) => Promise<void>;

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
  /**
   * Hands on what the server publishes itself (a will, presence: PROTOCOL §9) exactly as a
   * client's publish is handed on (app/hand-on.ts). Injected, not imported: a hand-on can find a
   * connection gone and end it, and ending one publishes its will, so janitor.ts importing
   * hand-on.ts would close an import cycle (deliver -> connection-gone -> janitor -> hand-on ->
   * deliver). {@link withServerPublish} in app/server-publish.ts fills it in.
   */
  serverPublish: ServerPublish;
  /**
   * Waits, for a handler that must let another invocation finish (a takeover whose previous
   * connection is still in its `$connect`: handlers/connect.ts). The Lambda wiring waits on a
   * timer; without it (the harness, the explorer) the handler does not wait.
   */
  pause?: (ms: number) => Promise<void>;
}
