import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbDeadLetterStore } from '../../lambdas/adapters/dynamodb/dynamodb-dead-letter-store.js';
import { listDeadLetters, replayDeadLetters } from '../../lambdas/app/dead-letters.js';
import { Harness } from '../support/harness.js';

/** Item 6: dead letters inspected and replayed, on DynamoDB Local through the real handlers. */
describe('dead letters: list and replay', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ policy: { attemptLimit: 2 } });
  });
  afterAll(() => h.close());

  /** A QoS 1 message to a monitor that never acks, swept until it is dead-lettered. */
  async function deadLetterFor(monitor: string, data: number): Promise<void> {
    const sensor = await h.client({ controllers: 'sensor' });
    await h.send(sensor, `sensor|temp|${data}`);
    for (let i = 0; i < 4; i += 1) {
      h.clock.advance(300_000);
      await h.sweep();
    }
    await h.disconnect(sensor);
    expect(await h.pendingOf(monitor)).toEqual([]);
  }

  it('lists a session\'s dead letters, oldest first', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await deadLetterFor(monitor, 1);
    await deadLetterFor(monitor, 2);
    const letters = await listDeadLetters(h.deps, monitor, h.clock.now());
    expect(letters.map((l) => [l.entry.data, l.reason])).toEqual([
      [1, 'attempts'],
      [2, 'attempts'],
    ]);
  });

  it('replays one by id: it is pending again, due now, sent by the next sweep (dup), acked, and its letter is gone', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await deadLetterFor(monitor, 3);
    const [letter] = await listDeadLetters(h.deps, monitor, h.clock.now());
    const before = h.messages(monitor).length;

    const replayed = await replayDeadLetters(h.deps, monitor, h.clock.now(), [letter!.entry.id]);
    expect(replayed).toMatchObject([{ id: letter!.entry.id, attempts: 0, dueAt: h.clock.now(), parked: false, connectionId: monitor }]);
    expect(await listDeadLetters(h.deps, monitor, h.clock.now())).toEqual([]);
    expect(await h.pendingOf(monitor)).toHaveLength(1);

    expect((await h.sweep()).resent).toBe(1);
    const sent = h.messages(monitor).slice(before);
    expect(sent).toEqual([expect.objectContaining({ id: letter!.entry.id, data: 3, qos: 1, dup: true })]);
    await h.send(monitor, `monitor|msgack|${letter!.entry.id}`);
    expect(await h.pendingOf(monitor)).toEqual([]);
  });

  it('replays nothing for an unknown id, and leaves the other letters', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await deadLetterFor(monitor, 4);
    expect(await replayDeadLetters(h.deps, monitor, h.clock.now(), ['nope'])).toEqual([]);
    expect(await listDeadLetters(h.deps, monitor, h.clock.now())).toHaveLength(1);
  });

  it('parks the replay of a session nobody serves now, for its resume', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1', clientId: 'away-replay', session: 'persistent' });
    await deadLetterFor('away-replay', 5);
    await h.disconnect(monitor);
    const [entry] = await replayDeadLetters(h.deps, 'away-replay', h.clock.now());
    expect(entry).toMatchObject({ parked: true, data: 5 });
    expect(entry).not.toHaveProperty('connectionId');
  });

  it('the operator Scan lists the letters of every session', async () => {
    const store = new DynamoDbDeadLetterStore(h.doc, h.tableNames.deadLetters);
    const all = [];
    for await (const page of store.scanAll(h.clock.now())) all.push(...page);
    expect(all.length).toBeGreaterThanOrEqual(3);
  });

  it('tools/dead-letters.ts lists and replays them from the command line (DynamoDB Local via --endpoint)', async () => {
    const monitor = await h.client({ controllers: 'monitor', qos: '1' });
    await deadLetterFor(monitor, 6);
    const run = (...args: string[]) =>
      promisify(execFile)('npx', ['tsx', 'tools/dead-letters.ts', ...args, '--endpoint', inject('dynamodbEndpoint'),
        '--dead-letters-table', h.tableNames.deadLetters, '--pending-table', h.tableNames.pending, '--messages-table', h.tableNames.messages, '--connections-table', h.tableNames.connections], {
        env: { ...process.env, AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
      });
    const listed = (await run('list', '--session', monitor)).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(listed).toMatchObject([{ sessionId: monitor, qos: 1, data: 6, reason: 'attempts' }]);
    const replayed = (await run('replay', '--session', monitor, '--id', listed[0].id)).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(replayed).toEqual([{ replayed: listed[0].id, sessionId: monitor, qos: 1, parked: false, connectionId: monitor }]);
    expect((await run('list', '--session', monitor)).stdout.trim()).toBe('');
    // The tool runs on the wall clock, not the harness's manual one.
    expect(await h.deps.stores.pending.ofSession(monitor, Date.now())).toMatchObject([{ id: listed[0].id, attempts: 0, parked: false }]);
  }, 60_000);
});
