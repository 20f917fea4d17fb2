import { describe, expect, it } from 'vitest';
import { invoke, InvocationTimeoutError } from '../../../local/gateway/invoke.js';
import type { GatewayFunction } from '../../../local/gateway/types.js';

/** How the gateway, the SQS event source mapping and the stream mapping bound one invocation. */

const ARN = 'arn:aws:lambda:eu-west-1:000000000000';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fn(timeoutMs: number, handler: GatewayFunction['handler'], timesItself?: boolean): GatewayFunction {
  return { name: 'Fn', timeoutMs, handler, ...(timesItself ? { timesItself } : {}) };
}

describe('invoke', () => {
  it('times a function out at its own timeout when the caller allows longer', async () => {
    const result = await invoke(fn(50, () => sleep(500)), {}, 29_000, ARN);
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect((result as { error: InvocationTimeoutError }).error).toBeInstanceOf(InvocationTimeoutError);
    expect((result as { error: InvocationTimeoutError }).error.timeoutMs).toBe(50);
  });

  it('times it out at the caller\'s limit when that is shorter (API Gateway\'s integration timeout)', async () => {
    const result = await invoke(fn(5_000, () => sleep(500)), {}, 50, ARN);
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect((result as { error: InvocationTimeoutError }).error.timeoutMs).toBe(50);
  });

  it('leaves a function that times itself to do so: no cut at its timeout, only at the caller\'s limit', async () => {
    // Its own clock starts when its environment runs it, which may be after a wait here.
    const ran = await invoke(fn(50, () => sleep(150).then(() => 'done'), true), {}, undefined, ARN);
    expect(ran).toMatchObject({ ok: true, value: 'done' });
    const cut = await invoke(fn(5_000, () => sleep(500), true), {}, 50, ARN);
    expect(cut).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('calls a rejection that Lambda names Sandbox.Timedout a timeout, and any other an error', async () => {
    const timedOut = Object.assign(new Error('Task timed out after 1.00 seconds'), { name: 'Sandbox.Timedout' });
    const late = await invoke(fn(1_000, () => Promise.reject(timedOut), true), {}, undefined, ARN);
    expect(late).toMatchObject({ ok: false, reason: 'timeout', error: timedOut });
    const thrown = await invoke(fn(1_000, () => { throw new Error('boom'); }), {}, undefined, ARN);
    expect(thrown).toMatchObject({ ok: false, reason: 'error' });
  });

  it('gives the handler a context whose remaining time counts down from the function\'s timeout', async () => {
    const result = await invoke(fn(2_000, async (_event, context) => context.getRemainingTimeInMillis()), {}, 29_000, ARN);
    expect(result.ok).toBe(true);
    const remaining = (result as { value: number }).value;
    expect(remaining).toBeGreaterThan(1_900);
    expect(remaining).toBeLessThanOrEqual(2_000);
  });
});
