import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../../local/gateway/concurrency-limit.js';

/** A task that runs until the test releases it, recording when it started. */
function gated(started: number[], n: number) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { task: async () => { started.push(n); await gate; return n; }, release };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs up to its limit at once and starts the others in arrival order as slots free', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const tasks = [1, 2, 3, 4].map((n) => gated(started, n));
    const results = tasks.map((t) => limit.run(t.task));
    await settle();
    expect(started).toEqual([1, 2]);
    expect([limit.running, limit.queued]).toEqual([2, 2]);
    tasks[1]?.release();
    await settle();
    expect(started).toEqual([1, 2, 3]);
    tasks[0]?.release();
    tasks[2]?.release();
    tasks[3]?.release();
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4]);
    expect([limit.running, limit.queued]).toEqual([0, 0]);
  });

  it('frees the slot of a task that fails and hands its failure to the caller', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(async () => Promise.reject(new Error('handler bug')))).rejects.toThrow('handler bug');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
    expect(limit.running).toBe(0);
  });

  it('refuses a limit that is not a whole number >= 1, saying which', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new ConcurrencyLimit(bad)).toThrow(/whole number >= 1/);
  });
});
