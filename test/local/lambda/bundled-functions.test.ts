import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../lambdas/ports/logger.js';
import { invoke } from '../../../local/gateway/invoke.js';
import type { GatewayFunction } from '../../../local/gateway/types.js';
import { BundledFunctions, type BundledHandler } from '../../../local/lambda/bundled-functions.js';
import type { InvocationReport } from '../../../local/lambda/protocol.js';
import type { FunctionModel } from '../../../local/template/app-model.js';

/**
 * The bundled mode's execution environments, on small hand-written CommonJS bundles (what
 * `cdk synth` makes is run end to end in test/e2e/bundled.test.ts): Node 22, Lambda's module
 * resolution and environment, errors, timeouts, crashes, warm reuse, the client hook, the log.
 */

const assets = mkdtempSync(join(tmpdir(), 'qosgate-test-bundles-'));
const HOOK = fileURLToPath(new URL('./fixtures/counting-hook.ts', import.meta.url));

/** A function whose asset folder holds `index.js` with `source`. */
function bundle(functionId: string, source: string, overrides: Partial<FunctionModel> = {}): FunctionModel {
  const dir = join(assets, functionId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.js'), source);
  return {
    logicalId: `${functionId}ABC123`,
    functionId,
    cdkPath: `Qosgate/${functionId}/Resource`,
    timeoutSeconds: 5,
    memoryMb: 256,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    environment: {},
    asset: { path: dir, bundled: true },
    logging: { format: 'JSON', applicationLogLevel: 'WARN' },
    ...overrides,
  };
}

const logged: Array<{ level: string; message: string; fields: Record<string, unknown> | undefined }> = [];
const log: Logger = {
  info: (message, fields) => logged.push({ level: 'info', message, fields }),
  warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields) => logged.push({ level: 'error', message, fields }),
};
const settings = { region: 'eu-west-1', endpoints: { dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9' }, log };

const ECHO = `
const state = { invocations: 0 };
exports.handler = async (event, context) => {
  state.invocations += 1;
  return { pid: process.pid, version: process.version, invocations: state.invocations, event, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId, functionName: context.functionName };
};`;

let functions: BundledFunctions;
const started: BundledFunctions[] = [];
beforeAll(() => {
  // What must not reach a worker: the test process's own variables.
  process.env.QOSGATE_TEST_HOST_ONLY = 'host';
  functions = new BundledFunctions(settings);
  started.push(functions);
});
afterEach(() => {
  logged.length = 0;
});
afterAll(async () => {
  delete process.env.QOSGATE_TEST_HOST_ONLY;
  await Promise.all(started.map((f) => f.stop()));
  rmSync(assets, { recursive: true, force: true });
});

describe('a bundled function in its execution environment', () => {
  it('runs on Node 22 from the npm package, with a Lambda context, and stays warm between invocations', async () => {
    const echo = functions.add(bundle('Echo', ECHO), {});
    expect(functions.node.version).toMatch(/^v22\./);
    expect(functions.node.path).toMatch(/node-(linux|darwin)-(x64|arm64)\/bin\/node$/);
    const first = (await echo({ n: 1 } as never, { awsRequestId: 'req-1', functionName: 'Echo', getRemainingTimeInMillis: () => 60_000 })) as Record<string, unknown>;
    expect(first).toMatchObject({ version: functions.node.version, invocations: 1, event: { n: 1 }, requestId: 'req-1', functionName: 'Echo' });
    expect(process.version).not.toBe(first.version);
    // The template's 5 s timeout bounds the remaining time, not the caller's 60 s.
    expect(first.remaining).toBeGreaterThan(0);
    expect(first.remaining).toBeLessThanOrEqual(5000);
    const second = (await echo({ n: 2 } as never)) as Record<string, unknown>;
    expect(second).toMatchObject({ pid: first.pid, invocations: 2 });
  });

  it('sees exactly its template environment and the platform variables Lambda sets, nothing of the host', async () => {
    const fn = bundle('Env', 'exports.handler = async () => ({ ...process.env });');
    const handler = functions.add(fn, { CONNECTIONS_TABLE: 'qosgate-dev-Connections', NODE_OPTIONS: '--enable-source-maps' });
    const env = (await handler({} as never)) as Record<string, string>;
    expect(env.QOSGATE_TEST_HOST_ONLY).toBeUndefined();
    expect(env).toMatchObject({
      CONNECTIONS_TABLE: 'qosgate-dev-Connections',
      NODE_OPTIONS: '--enable-source-maps',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'Env',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: 'index.handler',
      TZ: ':UTC',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
    });
    expect(env.LAMBDA_TASK_ROOT).toBe(join(functions.root, 'task', 'Env'));
    expect(env.NODE_PATH).toBe(join(functions.root, 'runtime', 'node_modules'));
    expect(Object.keys(env).sort()).toEqual(
      [
        'CONNECTIONS_TABLE', 'NODE_OPTIONS', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
        'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
        'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_LOG_LEVEL', 'AWS_LAMBDA_LOG_FORMAT', 'AWS_EXECUTION_ENV',
        '_HANDLER', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'NODE_PATH', 'PATH', 'LANG', 'TZ', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS',
      ].sort(),
    );
  });

  it('resolves the AWS SDK v3 as Lambda does, and no other module: a bundle that left ws out fails to load it', async () => {
    const handler = functions.add(
      bundle(
        'Modules',
        `exports.handler = async (event) => {
           try { require(event.module); return { loaded: true }; }
           catch (error) { return { loaded: false, code: error.code, message: error.message }; }
         };`,
      ),
      {},
    );
    expect(await handler({ module: '@aws-sdk/client-dynamodb' } as never)).toEqual({ loaded: true });
    expect(await handler({ module: '@smithy/core' } as never)).toEqual({ loaded: true });
    for (const module of ['ws', '@aws-lambda-powertools/logger', 'esbuild']) {
      expect(await handler({ module } as never), module).toMatchObject({ loaded: false, code: 'MODULE_NOT_FOUND', message: expect.stringContaining(`Cannot find module '${module}'`) });
    }
  });

  it('hands back the error a handler throws with its name, message and stack', async () => {
    const handler = functions.add(
      bundle('Throws', `class GoneException extends Error { constructor(m) { super(m); this.name = 'GoneException'; } }
exports.handler = async () => { throw new GoneException('connection gone'); };`),
      {},
    );
    const error = (await handler({} as never).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('GoneException');
    expect(error.message).toBe('connection gone');
    expect(error.stack).toContain(join(functions.root, 'task', 'Throws', 'index.js'));
  });

  it('fails an invocation that outlives the template timeout as Lambda reports it, kills that environment, and cold-starts the next', async () => {
    const fn = bundle(
      'Slow',
      `exports.handler = async (event) => { if (event.hang) await new Promise(() => setInterval(() => {}, 1000)); return { pid: process.pid }; };`,
      { timeoutSeconds: 1 },
    );
    const handler = functions.add(fn, {});
    const { pid } = (await handler({} as never)) as { pid: number };
    const error = (await handler({ hang: true } as never).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('Sandbox.Timedout');
    expect(error.message).toMatch(/^RequestId: \S+ Error: Task timed out after 1\.00 seconds$/);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(functions.pool('Slow')?.size).toBe(0);
    const next = (await handler({} as never)) as { pid: number };
    expect(next.pid).not.toBe(pid);
  });

  it('fails the invocation of an environment that exits under it, and the next invocation cold-starts', async () => {
    const handler = functions.add(bundle('Crash', `exports.handler = async (event) => { if (event.exit) process.exit(3); return { pid: process.pid }; };`), {});
    const { pid } = (await handler({} as never)) as { pid: number };
    const error = (await handler({ exit: true } as never).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ name: 'Runtime.ExitError', message: 'Runtime exited with error: exit status 3' });
    const next = (await handler({} as never)) as { pid: number };
    expect(next.pid).not.toBe(pid);
  });

  it('fails the invocation whose cold start meets an init error, with that error', async () => {
    const handler = functions.add(bundle('BadInit', `throw new TypeError('no config at init');`), {});
    await expect(handler({} as never)).rejects.toMatchObject({ name: 'TypeError', message: 'no config at init' });
    const missing = functions.add(bundle('NoHandler', `exports.other = async () => 1;`), {});
    await expect(missing({} as never)).rejects.toMatchObject({ name: 'Runtime.HandlerNotFound', message: 'index.handler is undefined or not exported' });
  });

  it('passes the worker\'s JSON log lines to the runtime log by level, and any other line as an error', async () => {
    const handler = functions.add(
      bundle(
        'Logs',
        `exports.handler = async () => {
           console.log(JSON.stringify({ level: 'WARN', message: 'slow ack', timestamp: 'x', service: 'qosgate', connectionId: 'c-1' }));
           console.log(JSON.stringify({ _aws: { CloudWatchMetrics: [] }, Deliveries: 1 }));
           console.error('plain text on stderr');
           return 'ok';
         };`,
      ),
      {},
    );
    await handler({} as never);
    // Lines arrive on their own streams: wait until both are in.
    for (let i = 0; i < 100 && logged.length < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logged).toEqual(
      expect.arrayContaining([
        { level: 'warn', message: 'slow ack', fields: { function: 'Logs', connectionId: 'c-1' } },
        { level: 'error', message: 'Logs stderr: plain text on stderr', fields: { function: 'Logs' } },
      ]),
    );
    expect(logged).toHaveLength(2);
  });
});

describe('a function without a bundle', () => {
  it('is refused when added, naming the function and what is missing', () => {
    const unbundled = { ...bundle('Unbundled', ECHO), asset: { path: assets + '/nowhere', bundled: true } };
    expect(() => functions.add(unbundled, {})).toThrow(`Unbundled: its bundle ${assets}/nowhere/index.js (handler index.handler) does not exist`);
    const { asset: _none, ...noAsset } = bundle('NoAsset', ECHO);
    expect(() => functions.add(noAsset, {})).toThrow(/NoAsset: the template has no bundled asset for it \(synthesize with bundle: true/);
  });
});

describe('the execution environments of one function', () => {
  it('are at most the bound at once; more invocations wait for a free one', async () => {
    const bounded = new BundledFunctions(settings, { maxEnvironmentsPerFunction: 2 });
    started.push(bounded);
    const handler: BundledHandler = bounded.add(
      bundle('Bounded', `exports.handler = async () => { await new Promise((r) => setTimeout(r, 200)); return process.pid; };`),
      {},
    );
    const pids = await Promise.all([1, 2, 3, 4, 5].map(() => handler({} as never)));
    expect(new Set(pids).size).toBe(2);
    expect(bounded.pool('Bounded')?.size).toBe(2);
  });

  it('count the timeout from when an environment runs the invocation, as Lambda does: a wait for a free one is not the function\'s', async () => {
    const single = new BundledFunctions(settings, { maxEnvironmentsPerFunction: 1 });
    started.push(single);
    // Each run takes 600 ms of a 1 s timeout; the second waits 600 ms for the one environment first.
    const handler = single.add(
      bundle('Queued', `exports.handler = async (event, context) => { const remaining = context.getRemainingTimeInMillis(); await new Promise((r) => setTimeout(r, 600)); return remaining; };`, { timeoutSeconds: 1 }),
      {},
    );
    // Called as the runtime registers it with the gateway, under API Gateway's 29 s integration timeout.
    const fn: GatewayFunction = { name: 'Queued', handler, timeoutMs: 1000, timesItself: true };
    const results = await Promise.all([1, 2].map(() => invoke(fn, {}, 29_000, 'arn:aws:lambda:eu-west-1:000000000000')));
    for (const result of results) {
      expect(result.ok).toBe(true);
      const remaining = (result as { value: number }).value;
      expect(remaining).toBeGreaterThan(900);
      expect(remaining).toBeLessThanOrEqual(1000);
    }
  });
});

describe('the report of each invocation (Lambda\'s REPORT line)', () => {
  it('gives the handler\'s own duration, not its wait for a free environment, its CPU and the worker\'s peak memory; a timeout reports the timeout', async () => {
    const reports: Array<{ functionId: string; report: InvocationReport }> = [];
    const reporting = new BundledFunctions(settings, { maxEnvironmentsPerFunction: 1, onReport: (functionId, report) => reports.push({ functionId, report }) });
    started.push(reporting);
    // 200 ms of waiting (no CPU), then about 100 ms of a busy loop, and 20 MB kept alive.
    const handler = reporting.add(
      bundle(
        'Reported',
        `exports.handler = async (event) => {
          if (event.hang) await new Promise(() => setInterval(() => {}, 1000));
          await new Promise((r) => setTimeout(r, 200));
          const until = Date.now() + 100; while (Date.now() < until) {}
          globalThis.kept = Buffer.alloc(20 * 1024 * 1024, 1);
          if (event.fail) throw new Error('failed after the work');
          return 'done';
        };`,
        { timeoutSeconds: 1 },
      ),
      {},
    );
    // One environment: the second invocation waits about 300 ms for the first, which its report leaves out.
    await Promise.all([handler({} as never), handler({ fail: true } as never).catch(() => undefined)]);
    expect(reports).toHaveLength(2);
    for (const { functionId, report } of reports) {
      expect(functionId).toBe('Reported');
      expect(report.durationMs).toBeGreaterThanOrEqual(295);
      expect(report.durationMs).toBeLessThan(550);
      expect(report.cpuMs).toBeGreaterThanOrEqual(90);
      expect(report.cpuMs).toBeLessThan(report.durationMs);
      expect(report.maxMemoryUsedMb).toBeGreaterThanOrEqual(20);
      expect(report.timedOut).toBeUndefined();
    }

    reports.length = 0;
    await handler({ hang: true } as never).catch(() => undefined);
    expect(reports).toEqual([{ functionId: 'Reported', report: { durationMs: 1000, timedOut: true } }]);
  });
});

describe('stopping', () => {
  it('kills busy environments too, and their invocations fail saying the runtime stopped', async () => {
    const stopping = new BundledFunctions(settings);
    started.push(stopping);
    const handler = stopping.add(bundle('Sweeping', `exports.handler = () => new Promise(() => setInterval(() => {}, 1000));`), {});
    const running = handler({} as never).catch((e: unknown) => e);
    for (let i = 0; i < 100 && stopping.pool('Sweeping')?.size !== 1; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await stopping.stop();
    expect(await running).toMatchObject({ message: 'Sweeping: the runtime stopped during this invocation (its environment was killed)' });
    expect(existsSync(stopping.root)).toBe(false);
  });
});

describe('a temp folder left by a runtime that was killed', () => {
  it('is removed by the next start; a live runtime\'s is kept', () => {
    const abandoned = mkdtempSync(join(tmpdir(), 'qosgate-lambda-'));
    // The pid of a process that has exited: a runtime gone without stopping.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(abandoned, 'owner.pid'), String(gone));
    const next = new BundledFunctions(settings);
    started.push(next);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(functions.root)).toBe(true);
  });
});

describe('the client hook', () => {
  it('is called once for every SDK client the bundle creates, on its first send, and can refuse its calls', async () => {
    const hooked = new BundledFunctions(settings, { clientHook: { module: HOOK, arg: { refuse: 'DynamoDB' } } });
    started.push(hooked);
    const handler = hooked.add(
      bundle(
        'Hooked',
        `const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');
         const { DynamoDBDocumentClient, GetCommand } = require('@aws-sdk/lib-dynamodb');
         const { SQSClient, ListQueuesCommand } = require('@aws-sdk/client-sqs');
         const raw = new DynamoDBClient({});
         const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
         const sqs = new SQSClient({ maxAttempts: 1 });
         const outcome = (promise) => promise.then(() => 'ok', (error) => error.name);
         exports.handler = async () => ({
           raw: await outcome(raw.send(new ListTablesCommand({}))),
           rawAgain: await outcome(raw.send(new ListTablesCommand({}))),
           documents: await outcome(documents.send(new GetCommand({ TableName: 't', Key: { pk: 'x' } }))),
           sqs: await outcome(sqs.send(new ListQueuesCommand({}))),
           calls: globalThis.__hookCalls,
         });`,
      ),
      {},
    );
    const result = (await handler({} as never)) as Record<string, unknown>;
    expect(result).toMatchObject({ raw: 'AccessDeniedException', rawAgain: 'AccessDeniedException', documents: 'AccessDeniedException' });
    // SQS is not refused: its call goes on to the (closed) endpoint and fails there instead.
    expect(result.sqs).not.toBe('AccessDeniedException');
    // raw, the document client with its inner client (one middleware stack), and sqs.
    expect(result.calls).toEqual(['DynamoDB', 'DynamoDB', 'SQS']);
  });

  it('gets each function\'s own argument from argFor', async () => {
    const perFunction = new BundledFunctions(settings, { clientHook: { module: HOOK, argFor: (fn) => ({ refuse: fn.functionId === 'Refused' ? 'DynamoDB' : 'none' }) } });
    started.push(perFunction);
    const source = `const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');
      const client = new DynamoDBClient({ maxAttempts: 1 });
      exports.handler = async () => client.send(new ListTablesCommand({})).then(() => 'ok', (error) => error.name);`;
    const refused = perFunction.add(bundle('Refused', source), {});
    const allowed = perFunction.add(bundle('Allowed', source), {});
    expect(await refused({} as never)).toBe('AccessDeniedException');
    // Allowed past the hook, its call meets the closed endpoint instead.
    expect(await allowed({} as never)).not.toBe('AccessDeniedException');
  });

  it('refuses a hook module without hookClient at init, saying so', async () => {
    const module = join(assets, 'not-a-hook.cjs');
    writeFileSync(module, 'exports.somethingElse = () => {};');
    const broken = new BundledFunctions(settings, { clientHook: { module } });
    started.push(broken);
    const handler = broken.add(bundle('Unhooked', ECHO), {});
    await expect(handler({} as never)).rejects.toThrow(`${module} exports no hookClient(client, arg) function`);
  });
});
