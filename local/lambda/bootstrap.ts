/**
 * The worker's entry: what Lambda's Node.js runtime does in an execution environment, for one
 * function. Built with esbuild into a standalone CommonJS file (local/lambda/bootstrap-build.ts)
 * and run on Node 22 in the function's task root; it imports nothing from the project (only
 * ./protocol.js types), so nothing of the project is resolvable from the worker.
 *
 * Init: load `LAMBDA_TASK_ROOT/<file>.js` with `require` (the bundles are CommonJS) and take its
 * `<export>`, as `_HANDLER` (`index.handler`) names them; then one invocation at a time.
 */
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { realpathSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ClientHook, FromWorker, InvocationContext, InvocationReport, SerializedError, ToWorker } from './protocol.js';

type Handler = (event: unknown, context: object) => unknown;

const send = (message: FromWorker): void => {
  process.send?.(message);
};

function serialize(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };
}

/**
 * Calls the hook's `hookClient(client, arg)` once per SDK client, on its first `send`: every
 * smithy `Client` class the runtime's SDK packages resolve (one per installed copy) gets its
 * `send` wrapped. A DynamoDBDocumentClient shares its inner client's middleware stack, so
 * clients are told apart by their stack: each stack is hooked once.
 */
async function installHook(hook: ClientHook): Promise<void> {
  const loaded = (await import(pathToFileURL(hook.module).href)) as { hookClient?: unknown; default?: { hookClient?: unknown } };
  const hookClient = (loaded.hookClient ?? loaded.default?.hookClient) as ((client: unknown, arg: unknown) => void) | undefined;
  if (typeof hookClient !== 'function') throw new Error(`${hook.module} exports no hookClient(client, arg) function`);
  const hooked = new WeakSet<object>();
  for (const send of smithyClientClasses()) {
    const original = send.prototype.send;
    send.prototype.send = function hookedSend(this: { middlewareStack?: object }, ...args: unknown[]) {
      const stack = this.middlewareStack ?? this;
      if (!hooked.has(stack)) {
        hooked.add(stack);
        hookClient(this, hook.arg);
      }
      return original.apply(this, args);
    };
  }
}

/** The smithy `Client` classes the SDK packages on NODE_PATH resolve (`@smithy/core/client`, or `@smithy/smithy-client` in older SDKs). */
function smithyClientClasses(): Array<{ prototype: { send: (...args: unknown[]) => unknown } }> {
  const classes = new Set<{ prototype: { send: (...args: unknown[]) => unknown } }>();
  for (const root of (process.env.NODE_PATH ?? '').split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(join(root, '@aws-sdk'));
    } catch {
      continue;
    }
    for (const name of names) {
      const from = createRequire(join(realpathSync(join(root, '@aws-sdk', name)), 'package.json'));
      for (const id of ['@smithy/core/client', '@smithy/smithy-client']) {
        try {
          const Client = (from(id) as { Client?: { prototype: { send: (...args: unknown[]) => unknown } } }).Client;
          if (Client) classes.add(Client);
        } catch {
          // Not a dependency of this package.
        }
      }
    }
  }
  return [...classes];
}

function contextOf(context: InvocationContext): object {
  const { deadlineMs, ...fields } = context;
  return {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

let handler: Handler | undefined;

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  try {
    if (message.hook) await installHook(message.hook);
    const [file, exportName] = splitHandler(message.handler);
    const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
    const module = createRequire(join(taskRoot, 'bootstrap-anchor.js'))(join(taskRoot, `${file}.js`)) as Record<string, unknown>;
    const exported = module[exportName];
    if (typeof exported !== 'function') throw Object.assign(new Error(`${file}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
    handler = exported as Handler;
    send({ type: 'ready', initMs: performance.now(), nodeVersion: process.version });
  } catch (error) {
    send({ type: 'init-error', error: serialize(error) });
  }
}

function splitHandler(value: string): [string, string] {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${value}: expected file.export`), { name: 'Runtime.MalformedHandlerName' });
  return [value.slice(0, dot), value.slice(dot + 1)];
}

async function invoke(message: Extract<ToWorker, { type: 'invoke' }>): Promise<void> {
  // One invocation at a time per environment, so the process's CPU meanwhile is the invocation's.
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = (): InvocationReport => {
    const used = process.cpuUsage(cpu);
    return { durationMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000, maxMemoryUsedMb: Math.ceil(process.resourceUsage().maxRSS / 1024) };
  };
  try {
    if (!handler) throw new Error('invoked before init');
    const value = await handler(message.event, contextOf(message.context));
    send({ type: 'result', id: message.id, value: value === undefined ? null : value, report: report() });
  } catch (error) {
    send({ type: 'failure', id: message.id, error: serialize(error), report: report() });
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'init') void init(message);
  else if (message.type === 'invoke') void invoke(message);
});
// The runtime gone (killed, crashed): an environment has nothing left to serve.
process.on('disconnect', () => process.exit(0));
