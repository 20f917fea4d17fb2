import { lambdaRequestId } from './ids.js';
import type { GatewayFunction, LambdaContextLike } from './types.js';

/** How an invocation ended. A failure is a value: the callers turn it into 500s and error frames. */
export type InvocationResult =
  | { ok: true; value: unknown; durationMs: number }
  | { ok: false; reason: 'error' | 'timeout'; error: unknown; durationMs: number };

/** A Lambda-like context: what `LambdaContextLike` requires plus the fields handlers commonly log. */
export interface EmulatedLambdaContext extends LambdaContextLike {
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
}

/** The error a run gets when it outlives its deadline. */
export class InvocationTimeoutError extends Error {
  override readonly name = 'InvocationTimeoutError';
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`${functionName} did not finish within ${timeoutMs} ms`);
  }
}

/** The error name Lambda gives an invocation that outlived its timeout. */
const LAMBDA_TIMEOUT = 'Sandbox.Timedout';

/**
 * Invokes a function the way API Gateway's Lambda proxy integration does, bounded by the
 * shorter of the function's own timeout and the caller's limit: the integration timeout (API
 * Gateway's 29 s quota:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html),
 * or none for an event source mapping, which waits for the function. A function that
 * {@link GatewayFunction.timesItself} is bounded by the caller's limit only.
 * A handler that throws (even synchronously) or rejects is an `error`, unless Lambda's own
 * timeout failed it; one still running at the deadline is a `timeout`. Unlike Lambda, a run
 * timed out here cannot be frozen: its promise goes on in the background and whatever it does
 * later is ignored here.
 */
export async function invoke(fn: GatewayFunction, event: unknown, callerLimitMs: number | undefined, arnPrefix: string): Promise<InvocationResult> {
  const started = Date.now();
  const deadline = started + fn.timeoutMs;
  const context: EmulatedLambdaContext = {
    awsRequestId: lambdaRequestId(),
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `${arnPrefix}:function:${fn.name}`,
    memoryLimitInMB: '128',
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const limit = Math.min(fn.timesItself ? Number.POSITIVE_INFINITY : fn.timeoutMs, callerLimitMs ?? Number.POSITIVE_INFINITY);
  let timer: NodeJS.Timeout | undefined;
  // No timer without a finite limit (setTimeout would take Infinity for 1 ms): the function times itself.
  const timeout = Number.isFinite(limit)
    ? new Promise<InvocationResult>((resolve) => {
        timer = setTimeout(() => {
          resolve({ ok: false, reason: 'timeout', error: new InvocationTimeoutError(fn.name, limit), durationMs: Date.now() - started });
        }, limit);
      })
    : new Promise<InvocationResult>(() => undefined);
  const run = Promise.resolve()
    .then(() => fn.handler(event, context))
    .then(
      (value): InvocationResult => ({ ok: true, value, durationMs: Date.now() - started }),
      (error: unknown): InvocationResult => ({
        ok: false,
        reason: error instanceof Error && error.name === LAMBDA_TIMEOUT ? 'timeout' : 'error',
        error,
        durationMs: Date.now() - started,
      }),
    );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
