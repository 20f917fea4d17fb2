import type { Stores } from '../../lambdas/ports/index.js';
import { checkAtRest } from './invariants.js';
import { Prng } from './prng.js';
import { formatTrace, type TraceLine } from './scheduler.js';
import type { ClientSpec, SimClient } from './sim-client.js';
import { simPolicy, World, type Violation } from './world.js';

/** What one seeded schedule did and found. */
export interface ScheduleResult {
  seed: number;
  violations: Violation[];
  trace: TraceLine[];
  steps: number;
  /** The workload in one line, for the report. */
  summary: string;
  /** Each client's connections, by client name (to focus a trace on one client). */
  connectionsOf: Record<string, string[]>;
}

/** Knobs of the workload; the defaults are what `npm test` and `npm run explore` run. */
export interface ScheduleOptions {
  /** Crashes per schedule at most (default 1). */
  crashes?: number;
  /** Chance that a point crashes its invocation, while the budget lasts (default 1/80). */
  crashChance?: number;
  /** Changes the stores before use (mutants.ts). */
  mutate?: (stores: Stores) => Stores;
}

const REST_ROUNDS = 4;

/**
 * One schedule, all of it drawn from `seed`:
 * 1. setup: a persistent QoS 2 publisher and 2-3 subscribers (persistent or clean, QoS 1 or 2,
 *    subscribed to monitor/t with the monitor controller open), all connected, no crashes;
 * 2. 3-5 rounds, each 1-4 stimuli run concurrently with every invocation they cause (the
 *    clients' answers, takeovers' $disconnects): publishes (QoS 1/2 to the topic, QoS 1 to the
 *    sensor, which invokes every monitor), network drops ($disconnect now, late or never),
 *    reconnects (a takeover while the old socket is open), sweeps, client retries and late
 *    $disconnects; invocations may crash at any point; then the clock moves on (0-2.5 s);
 * 3. rest: no more crashes or drops; late $disconnects arrive, every client comes back and
 *    retries, the clock moves past every resend and lease, the sweep runs, four times;
 * 4. the invariants of PROTOCOL §4 (invariants.ts).
 */
export async function runSchedule(seed: number, options: ScheduleOptions = {}): Promise<ScheduleResult> {
  const rng = new Prng(seed);
  const maxInflight = rng.pick([2, 100]);
  // Both ways of checking the cap, by the seed's parity (not drawn, so every other choice of a
  // seed stays as it was): odd seeds lazy (the default), even ones strict.
  const flowControl = seed % 2 === 0 ? 'strict' : 'lazy';
  const world = new World(rng, simPolicy(maxInflight, flowControl), options.mutate);
  const { scheduler, clock } = world;
  const policy = world.deps.policy;

  const publisher = world.addClient({ name: 'pub', clientId: 'pub', sessionKind: 'persistent', claimedQos: 2, controllers: [], subscriptions: [] });
  const subscribers = Array.from({ length: 2 + rng.int(2) }, (_, i): SimClient => {
    const qos = rng.pick([1, 2, 2] as const);
    const spec: ClientSpec = {
      name: `s${i + 1}`,
      clientId: `s${i + 1}`,
      sessionKind: rng.chance(0.65) ? 'persistent' : 'clean',
      claimedQos: qos,
      controllers: ['monitor'],
      subscriptions: [{ controller: 'monitor', topic: 't', qos }],
    };
    return world.addClient(spec);
  });
  const summary = `maxInflight ${maxInflight} (${flowControl}); ${subscribers.map((s) => `${s.name} ${s.spec.sessionKind} qos${s.spec.claimedQos}`).join(', ')}`;
  scheduler.note(`setup: ${summary}`);
  for (const client of world.clients) world.connect(client);
  await scheduler.runToQuiescence();

  scheduler.crash = { budget: options.crashes ?? 1, chance: options.crashChance ?? 1 / 80 };
  let data = 0;
  const rounds = 3 + rng.int(3);
  for (let round = 1; round <= rounds; round += 1) {
    scheduler.note(`round ${round}`);
    const stimuli = 1 + rng.int(4);
    for (let i = 0; i < stimuli; i += 1) {
      const client = rng.pick(world.clients);
      const kind = rng.weighted<string>([
        ['publish', 4],
        ['drop', 2],
        ['reconnect', 2],
        ['sweep', 2],
        ['retry', 1],
        ['late $disconnect', world.lateDisconnects.length > 0 ? 1 : 0],
      ]);
      if (kind === 'publish') {
        const toSensor = rng.chance(0.3);
        const frame = toSensor
          ? { controller: 'sensor', topic: 'temp', data: 20 + ++data, qos: 1 as const }
          : { controller: 'monitor', topic: 't', data: ++data, qos: rng.pick([1, 2, 2] as const) };
        world.act(`publish ${frame.controller}/${frame.topic} qos${frame.qos} data ${frame.data}`, () => publisher.publish(frame));
      } else if (kind === 'drop') {
        world.act(`drop ${client.name}`, () => {
          if (client.connectionId) world.close(client.connectionId, 'network loss');
        });
      } else if (kind === 'reconnect') {
        world.act(`reconnect ${client.name}`, () => world.connect(client));
      } else if (kind === 'sweep') {
        world.sweep();
      } else if (kind === 'retry') {
        world.act(`retry ${client.name}`, () => {
          client.retry();
          client.subscribeMissing();
        });
      } else {
        world.act('late $disconnect', () => {
          const connectionId = world.lateDisconnects.shift();
          if (connectionId) world.disconnect(connectionId);
        });
      }
    }
    await scheduler.runToQuiescence();
    const move = rng.pick([0, policy.ackTimeoutMs, policy.releaseLeaseMs + 100, 2_500]);
    if (move > 0) {
      clock.advance(move);
      scheduler.note(`clock +${move} ms`);
    }
  }

  scheduler.crash = { budget: 0, chance: 0 };
  world.disconnectsOnTime();
  scheduler.note('rest');
  for (const connectionId of world.lateDisconnects.splice(0)) world.disconnect(connectionId);
  for (let round = 0; round < REST_ROUNDS; round += 1) {
    for (const client of world.clients) {
      if (client.state === 'offline') world.connect(client);
      else {
        client.retry();
        client.subscribeMissing();
      }
    }
    world.sweep();
    await scheduler.runToQuiescence();
    clock.advance(policy.backoffCapMs + 1);
    scheduler.note(`clock +${policy.backoffCapMs + 1} ms`);
  }
  world.sweep();
  await scheduler.runToQuiescence();

  const connectionsOf: Record<string, string[]> = {};
  for (const connection of world.connections.values()) (connectionsOf[connection.client.name] ??= []).push(connection.connectionId);
  return { seed, violations: await checkAtRest(world), trace: scheduler.trace, steps: scheduler.steps, summary, connectionsOf };
}

/**
 * A failing schedule as a person reads it: the seed, how to replay it, what broke, the trace.
 * With `focus` (a client's name), the trace keeps only the steps that name the client, its
 * session or one of its connections, and the notes (rounds, clock moves).
 */
export function formatResult(result: ScheduleResult, focus?: string): string {
  const names = focus === undefined ? undefined : [focus, ...(result.connectionsOf[focus] ?? [])];
  const mentions = names && new RegExp(`(^|[^A-Za-z0-9])(${names.join('|')})($|[^A-Za-z0-9])`);
  const trace = mentions ? result.trace.filter((l) => l.task === '-' || [l.task, l.text, l.result ?? ''].some((t) => mentions.test(t))) : result.trace;
  const lines = [
    `seed ${result.seed}: ${result.violations.length === 0 ? 'no invariant violated' : `${result.violations.length} violation(s)`} in ${result.steps} steps (${result.summary})`,
    `replay: SEED=${result.seed} npx vitest run test/sim/explorer.test.ts   or   npm run explore -- --seed ${result.seed} [--focus <client>]`,
    ...result.violations.map((v) => `  [${v.race}] ${v.invariant}: ${v.detail}`),
    '',
    ...(focus !== undefined ? [`trace of the steps that name ${focus} or its connections (${(result.connectionsOf[focus] ?? []).join(', ')}):`] : []),
    formatTrace(trace),
  ];
  return lines.join('\n');
}
