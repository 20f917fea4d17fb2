import { createMemoryStores } from '../../lambdas/adapters/memory/index.js';
import type { AppDeps } from '../../lambdas/app/deps.js';
import { withServerPublish } from '../../lambdas/app/server-publish.js';
import { sweepDue } from '../../lambdas/app/resend-sweep.js';
import { sampleControllers } from '../../lambdas/core/controllers/registry.js';
import { DEFAULT_POLICY, type QosPolicy } from '../../lambdas/core/policy.js';
import type { ServerFrame } from '../../lambdas/core/types.js';
import { createConnectHandler } from '../../lambdas/handlers/connect.js';
import { createDisconnectHandler } from '../../lambdas/handlers/disconnect.js';
import type { WebSocketResult } from '../../lambdas/handlers/events.js';
import type { ConnectionGateway, Stores } from '../../lambdas/ports/index.js';
import { silentLogger } from '../../lambdas/ports/logger.js';
import { selectRoute } from '../../lambdas/routes.js';
import { frameRouteHandlers, ManualClock } from '../support/harness.js';
import { pendingKey, Provenance, type Write } from './provenance.js';
import { instrumentGateway, instrumentStores, type CallObserver } from './instrument.js';
import type { Prng } from './prng.js';
import { Scheduler, TRACE_EPOCH, type Task } from './scheduler.js';
import { SimClient, type ClientPort, type ClientSpec } from './sim-client.js';

/** A socket as the simulated API Gateway knows it. */
export interface SimConnection {
  connectionId: string;
  client: SimClient;
  /** `connecting` until $connect returns 200: posts to it answer 410, as in API Gateway. */
  state: 'connecting' | 'open' | 'closed';
  /** Whether it ever opened (a handshake the client gave up on never does). */
  opened?: boolean;
}

/** A broken promise: seen as a frame was posted (World.post) or at rest (invariants.ts). */
export interface Violation {
  invariant: string;
  /** Which known race this is (issue 12 A, B, C), or `new` for one nobody named. */
  race: 'A' | 'B' | 'C' | 'new';
  /** The kind of invocation that made the bad write (e.g. `sweep`, `$disconnect`, `pubrel`). */
  via?: string;
  detail: string;
}

/** Short timeouts so that leases run out and resends fall due within a few clock moves. */
export function simPolicy(maxInflight: number, flowControl: QosPolicy['flowControl'] = DEFAULT_POLICY.flowControl): QosPolicy {
  return { ...DEFAULT_POLICY, ackTimeoutMs: 1_000, backoffCapMs: 4_000, releaseLeaseMs: 1_500, maxInflight, flowControl };
}

function describeRewrite(write: Write | undefined): string {
  return write ? `; the entry was put again by ${write.task} at step ${write.step} (a re-run of its hand-on)` : '';
}

/**
 * The server side as API Gateway runs it, on in-memory stores: each invocation ($connect, a
 * frame's route, $disconnect, a sweep) gets the real handler with deps whose stores and gateway
 * wait at a scheduling point before every call. A simulated API Gateway holds the sockets and
 * hands posted frames to simulated client apps, which answer with new invocations.
 *
 * The world also records who wrote what (provenance.ts), so a violation can say which
 * invocation caused it.
 */
export class World implements ClientPort {
  readonly clock = new ManualClock(TRACE_EPOCH);
  readonly scheduler: Scheduler;
  readonly stores: Stores;
  readonly deps: AppDeps;
  readonly clients: SimClient[] = [];
  readonly connections = new Map<string, SimConnection>();
  /** $disconnects API Gateway will deliver late (the rest phase delivers them). */
  readonly lateDisconnects: string[] = [];
  readonly violations: Violation[] = [];
  /** Who wrote what, so a violation can name the invocation behind it. */
  readonly provenance = new Provenance(
    () => this.scheduler.steps,
    (sessionId) => this.clients.find((c) => c.sessionId === sessionId)?.epoch ?? 0,
  );
  private nextConnection = 0;
  private nextMessage = 0;
  private disconnectModes: { now: number; late: number; missing: number } = { now: 5, late: 4, missing: 1 };

  /**
   * @param mutate changes the stores before use (mutants.ts: a store with a known race put back,
   *   to check that the explorer still finds it)
   */
  constructor(
    readonly rng: Prng,
    policy: QosPolicy,
    mutate: (stores: Stores) => Stores = (stores) => stores,
  ) {
    // One page per read: the memory stores read a whole result at its first page, where DynamoDB
    // reads each page when it is asked for, so several pages would show older state than AWS can.
    this.stores = mutate(createMemoryStores());
    this.scheduler = new Scheduler(rng, () => this.clock.now(), () => this.clock.advance(1));
    this.deps = withServerPublish({
      stores: this.stores,
      gateway: { post: async () => 'gone', disconnect: async () => 'gone' as const, isOpen: async () => false },
      clock: this.clock,
      policy,
      controllers: sampleControllers,
      // Zero-padded so ids sort by age, as production ids (flow control reads in id order).
      newId: () => `m${String(++this.nextMessage).padStart(4, '0')}`,
      log: silentLogger,
    });
  }

  addClient(spec: ClientSpec): SimClient {
    const client = new SimClient(spec, this);
    this.clients.push(client);
    return client;
  }

  /** From now on every closed connection's $disconnect comes at once (the rest phase). */
  disconnectsOnTime(): void {
    this.disconnectModes = { now: 1, late: 0, missing: 0 };
  }

  // ---- invocations -----------------------------------------------------------------------

  /** The handlers' deps for one invocation: every store and gateway call is a point of `task`. */
  private depsFor(task: Task): AppDeps {
    const point = (label: string) => this.scheduler.point(task, label);
    const observe: CallObserver = (port, method, args, result) => this.provenance.observe(task, port, method, args, result);
    const gateway: ConnectionGateway = {
      post: async (connectionId, frame) => this.post(task, connectionId, frame),
      disconnect: async (connectionId) => (this.close(connectionId, `taken over (${task.name})`) ? 'ok' : 'gone'),
      // GetConnection as API Gateway answers it: 410 until $connect has returned 200, and after the close.
      isOpen: async (connectionId) => this.connections.get(connectionId)?.state === 'open',
    };
    return withServerPublish({ ...this.deps, stores: instrumentStores(this.stores, point, observe), gateway: instrumentGateway(gateway, point, observe) });
  }

  /** A frame the client sends: an invocation of its route (one connection's frames run concurrently). */
  send(client: SimClient, connectionId: string, frame: object, onDone?: () => void): void {
    const body = JSON.stringify(frame);
    const action = (frame as { action?: string }).action ?? 'frame';
    this.scheduler.spawn(
      action,
      `${client.name}@${connectionId}`,
      async (task) => {
        // A frame still on its way when the socket closed is lost with it.
        if (this.connections.get(connectionId)?.state !== 'open') return;
        const routeKey = selectRoute(body);
        const handler = frameRouteHandlers(this.depsFor(task)).get(routeKey);
        if (!handler) throw new Error(`no handler for route ${routeKey}`);
        await handler({ requestContext: { routeKey, eventType: 'MESSAGE', connectionId, messageId: `f${task.id}` }, body });
      },
      { ...(onDone ? { onDone } : {}) },
    );
  }

  /** Opens a new connection for the client; its $connect may be taken over, refused, or crash. */
  connect(client: SimClient): void {
    if (client.state === 'connecting') return;
    const connectionId = `c${++this.nextConnection}`;
    const connection: SimConnection = { connectionId, client, state: 'connecting' };
    this.connections.set(connectionId, connection);
    client.connecting(connectionId);
    let result: WebSocketResult | undefined;
    const { spec } = client;
    this.scheduler.spawn(
      '$connect',
      `${client.name}@${connectionId}`,
      async (task) => {
        result = await createConnectHandler(this.depsFor(task))({
          requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId, connectedAt: this.clock.now() },
          queryStringParameters: {
            clientId: spec.clientId,
            session: spec.sessionKind,
            qos: String(spec.claimedQos),
            ...(spec.controllers.length ? { controllers: spec.controllers.join(',') } : {}),
          },
          headers: {},
        });
      },
      {
        onDone: () => {
          if (result?.statusCode === 200 && connection.state === 'connecting') {
            connection.state = 'open';
            connection.opened = true;
            client.opened(connectionId);
          } else if (connection.state === 'connecting') {
            connection.state = 'closed';
            client.closed(connectionId);
          }
        },
        // A $connect that never returns: API Gateway fails the handshake; there is no $disconnect.
        onCrash: () => {
          connection.state = 'closed';
          client.closed(connectionId);
        },
      },
    );
  }

  /** $disconnect for a closed connection. */
  disconnect(connectionId: string): void {
    const connection = this.connections.get(connectionId);
    this.scheduler.spawn('$disconnect', `${connection?.client.name ?? '?'}@${connectionId}`, async (task) => {
      await createDisconnectHandler(this.depsFor(task))({
        requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId, disconnectStatusCode: 1006, disconnectReason: 'sim' },
      });
    });
  }

  /** A scheduled resend sweep (lambdas/app/resend-sweep.ts). */
  sweep(): void {
    this.scheduler.spawn('sweep', '', async (task) => {
      const deps = this.depsFor(task);
      await sweepDue(deps, { batchSize: 100 }, deps.clock.now());
    });
  }

  /** Something a client or the network does, at a point of its own among the invocations. */
  act(label: string, action: () => void): void {
    this.scheduler.spawn('client', label, async () => action(), { crashable: false });
  }

  // ---- the simulated API Gateway -----------------------------------------------------------

  /**
   * Closes a socket (network loss or takeover); API Gateway's $disconnect comes now, late or never.
   * Returns whether it was open (DeleteConnection's 200; else its 410).
   */
  close(connectionId: string, why: string): boolean {
    const connection = this.connections.get(connectionId);
    if (!connection || connection.state === 'closed') return false;
    const wasOpen = connection.state === 'open';
    connection.state = 'closed';
    connection.client.closed(connectionId);
    if (!wasOpen) return false;
    const mode = this.rng.weighted<'now' | 'late' | 'missing'>([
      ['now', this.disconnectModes.now],
      ['late', this.disconnectModes.late],
      ['missing', this.disconnectModes.missing],
    ]);
    this.scheduler.note(`${connectionId} closed (${why}); its $disconnect comes ${mode === 'now' ? 'now' : mode === 'late' ? 'late' : 'never'}`);
    if (mode === 'now') this.disconnect(connectionId);
    else if (mode === 'late') this.lateDisconnects.push(connectionId);
    return true;
  }

  private post(task: Task, connectionId: string, raw: string): 'ok' | 'gone' {
    const connection = this.connections.get(connectionId);
    if (!connection || connection.state !== 'open') {
      this.provenance.gone(task, connectionId);
      return 'gone';
    }
    const frame = JSON.parse(raw) as ServerFrame;
    if (frame.type === 'message' && frame.qos === 2 && frame.id !== undefined) {
      const k = pendingKey({ sessionId: connection.client.sessionId, id: frame.id });
      const { pubrecIn, rewrittenByRerun } = this.provenance;
      // Within one session: a clean start begins a new one, which promises nothing of the last.
      if (pubrecIn.get(k)?.epoch === connection.client.epoch) {
        this.violations.push({
          invariant: 'QoS 2 message sent again after its pubrec',
          race: rewrittenByRerun.has(k) ? 'A' : 'new',
          via: rewrittenByRerun.get(k)?.kind ?? task.kind,
          detail: `${task.name} posted message ${k} to ${connectionId} after its pubrec was in (step ${String(pubrecIn.get(k)?.step)})${describeRewrite(rewrittenByRerun.get(k))}`,
        });
      }
    }
    connection.client.receive(connectionId, frame, task.name);
    return 'ok';
  }
}
