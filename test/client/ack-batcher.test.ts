import { describe, expect, it } from 'vitest';
import { AckBatcher } from '../../client/ack-batcher.js';
import { FakeTime } from './support/fakes.js';

describe('AckBatcher: acks close together go as one frame', () => {
  const setup = (open = true) => {
    const time = new FakeTime();
    const frames: string[][] = [];
    const state = { open };
    const batcher = new AckBatcher(time, 25, (ids) => state.open && frames.push(ids) > 0);
    return { time, frames, batcher, state };
  };

  it('coalesces the ids of one window into one frame, once each', async () => {
    const { time, frames, batcher } = setup();
    batcher.add('m1');
    await time.advance(10);
    batcher.add('m2');
    batcher.add('m1');
    expect(frames).toEqual([]);
    await time.advance(15);
    expect(frames).toEqual([['m1', 'm2']]);
    batcher.add('m3');
    await time.advance(25);
    expect(frames).toEqual([['m1', 'm2'], ['m3']]);
  });

  it('sends at once when 100 ids are waiting (the server takes at most 100 a frame)', async () => {
    const { frames, batcher } = setup();
    for (let i = 0; i < 250; i++) batcher.add(`m${i}`);
    expect(frames.map((f) => f.length)).toEqual([100, 100]);
    batcher.flush();
    expect(frames.map((f) => f.length)).toEqual([100, 100, 50]);
  });

  it('keeps the ids while nothing can be sent and sends them on the next flush', async () => {
    const { time, frames, batcher, state } = setup(false);
    batcher.add('m1');
    await time.advance(100);
    expect(frames).toEqual([]);
    expect(batcher.waiting).toBe(1);
    state.open = true;
    batcher.flush();
    expect(frames).toEqual([['m1']]);
  });
});
