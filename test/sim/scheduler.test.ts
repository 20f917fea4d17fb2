import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';
import { Scheduler, type Task } from './scheduler.js';

/** Two tasks of three points each; returns the order in which their steps ran. */
async function interleave(seed: number, crash?: { budget: number; chance: number }): Promise<{ order: string[]; scheduler: Scheduler; tasks: Task[]; crashed: string[] }> {
  let time = 0;
  const scheduler = new Scheduler(new Prng(seed), () => time, () => (time += 1));
  if (crash) scheduler.crash = crash;
  const order: string[] = [];
  const crashed: string[] = [];
  const tasks = ['a', 'b'].map((name) =>
    scheduler.spawn(
      'job',
      name,
      async (task) => {
        for (let i = 1; i <= 3; i += 1) {
          await scheduler.point(task, `${name}${i}`);
          order.push(`${name}${i}`);
        }
      },
      { onCrash: () => crashed.push(name) },
    ),
  );
  await scheduler.runToQuiescence();
  return { order, scheduler, tasks, crashed };
}

describe('scheduler', () => {
  it('runs one task at a time, each in its own program order, and a seed always picks the same interleaving', async () => {
    const first = await interleave(7);
    expect(first.order).toHaveLength(6);
    for (const name of ['a', 'b']) expect(first.order.filter((s) => s.startsWith(name))).toEqual([`${name}1`, `${name}2`, `${name}3`]);
    expect((await interleave(7)).order).toEqual(first.order);
    expect(first.tasks.map((t) => t.state)).toEqual(['done', 'done']);
    // The scheduler picks, not the spawn order: some seed runs b before a has finished.
    const orders = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(async (seed) => (await interleave(seed)).order.join(' ')));
    expect(new Set(orders).size).toBeGreaterThan(1);
  });

  it('a crashed task never runs past the point it waited at, and the others finish', async () => {
    const { order, tasks, crashed, scheduler } = await interleave(3, { budget: 1, chance: 1 });
    expect(crashed).toHaveLength(1);
    const dead = tasks.find((t) => t.state === 'crashed') as Task;
    const alive = tasks.find((t) => t !== dead) as Task;
    expect(alive.state).toBe('done');
    // The first pick crashed the dead task at its start: none of its steps ran; the budget is spent.
    const deadName = dead.name.split(' ')[1] as string;
    expect(order.filter((s) => s.startsWith(deadName))).toEqual([]);
    expect(order.filter((s) => !s.startsWith(deadName))).toHaveLength(3);
    expect(scheduler.crash.budget).toBe(0);
    expect(scheduler.trace.some((l) => l.text.startsWith('CRASH before'))).toBe(true);
  });

  it('each step moves the simulated clock on, so the trace shows when each call ran', async () => {
    const { scheduler } = await interleave(11);
    const times = scheduler.trace.map((l) => l.time);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(new Set(times).size).toBe(times.length);
  });
});
