import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayFunction } from '../../local/gateway/index.js';
import { startSchedules, type Schedules } from '../../local/schedules.js';

/** A function that records each event and context it was invoked with and answers with its count. */
function recordingFunction(timeoutMs = 70_000) {
  const calls: Array<{ event: Record<string, unknown>; remainingMs: number }> = [];
  const fn: GatewayFunction = {
    name: 'qosgate-Resend',
    timeoutMs,
    handler: async (event: unknown, context: { getRemainingTimeInMillis(): number }) => {
      calls.push({ event: event as Record<string, unknown>, remainingMs: context.getRemainingTimeInMillis() });
      return { swept: calls.length };
    },
  } as unknown as GatewayFunction;
  return { fn, calls };
}

const RULE = { functionId: 'Resend', expression: 'rate(1 minute)', intervalMs: 60_000 };

describe('the local EventBridge schedules', () => {
  let schedules: Schedules | undefined;
  afterEach(async () => {
    await schedules?.stop();
    schedules = undefined;
  });

  it('invokes a rule\'s function with a Scheduled Event once at start', async () => {
    const { fn, calls } = recordingFunction();
    schedules = startSchedules([RULE], { Resend: fn }, (error) => {
      throw error;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.event).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(calls[0]?.remainingMs).toBeGreaterThan(69_000);
  });

  it('with its timers off invokes nothing by itself, and run() invokes once and returns the handler\'s result', async () => {
    const { fn, calls } = recordingFunction();
    schedules = startSchedules([RULE], { Resend: fn }, () => {}, { timers: false });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(0);

    expect(await schedules.run('Resend')).toEqual({ swept: 1 });
    expect(calls[0]?.event).toMatchObject({ 'detail-type': 'Scheduled Event' });
  });

  it('refuses to run a function no rule invokes, naming the ones it does, and runs nothing once stopped', async () => {
    const { fn, calls } = recordingFunction();
    schedules = startSchedules([RULE], { Resend: fn }, () => {}, { timers: false });
    await expect(schedules.run('Publish')).rejects.toThrow('no schedule invokes Publish: the template\'s rules invoke Resend');
    await schedules.stop();
    await expect(schedules.run('Resend')).rejects.toThrow('the schedules have stopped');
    expect(calls).toHaveLength(0);
  });

  it('passes a handler\'s failure to run()\'s caller, and stop() does not wait on it', async () => {
    const failing = { name: 'qosgate-Resend', timeoutMs: 1000, handler: async () => Promise.reject(new Error('sweep failed')) } as unknown as GatewayFunction;
    schedules = startSchedules([RULE], { Resend: failing }, () => {}, { timers: false });
    await expect(schedules.run('Resend')).rejects.toThrow('sweep failed');
    await schedules.stop();
  });
});
