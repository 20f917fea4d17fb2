import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../lib/config.js';
import { DEFAULT_SWEEP, type SweepConfig } from '../lambdas/config.js';
import { DEFAULT_POLICY, type QosPolicy } from '../lambdas/core/policy.js';
import { LOCAL_STATE_DIR } from './template/synth.js';

/**
 * `npm start`'s options, read and checked before anything starts: a bad `--port` or `--policy`
 * is refused in milliseconds with exit code 2 (EXIT_USAGE), not after Java has started.
 */

/** The exit code of a refused command line. */
export const EXIT_USAGE = 2;

/** A command line `npm start` refuses; the message says what to change. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const HELP = `qosgate local runtime: API Gateway WebSocket emulation + the Lambda handlers + DynamoDB Local

Options:
  --port N               WebSocket and management API port, 0-65535; 0 picks a free one
                         (default 3001, or QOSGATE_PORT)
  --host H               address to listen on (default 127.0.0.1; DynamoDB Local is always on 127.0.0.1)
  --data DIR             DynamoDB Local data folder, kept across restarts (default .qosgate/data);
                         one runtime per folder (it holds DIR/qosgate.lock while running)
  --in-memory            throwaway DynamoDB Local, nothing written to disk (not with --data)
  --stage NAME           the stage name (CDK context qosgate:stageName)
  --policy JSON          QoS policy overrides (CDK context qosgate:policy), e.g. '{"ackTimeoutMs":3000}'
  --sweep JSON           resend sweep overrides (CDK context qosgate:sweep), e.g. '{"intervalMs":1000}'
  --idle-timeout-ms N    close idle connections after N ms (API Gateway: 10 minutes)
  --max-connection-ms N  close connections after N ms (API Gateway: 2 hours)
  --bundled              run the deploy bundles (cdk synth's asset folders, index.handler) on Lambda's
                         Node 22, each function in its own processes with only its template environment
                         and the AWS SDK v3 resolvable, as on Lambda (default: the TypeScript source in
                         this process, for fast edits)
  --auth                 require a token on connect, as a deployed stage does (HS256 with
                         QOSGATE_JWT_SECRET, default a fixed dev key; mint: npm run qosgate -- token)
  --quiet                print only the banner and errors: no start-up steps, no In/Out frame log
  --help                 this text

Exit codes: 0 after Ctrl-C, 2 for a command line it refuses, 1 when it cannot start or its
database dies under it.`;

/** What `npm start` runs with, every value checked. */
export interface StartOptions {
  help: boolean;
  host: string;
  port: number;
  /** Absolute; undefined with `--in-memory`. */
  dataDir: string | undefined;
  context: Record<string, unknown>;
  /** The policy and sweep the functions will run with, and which keys the command line set. */
  policy: { active: QosPolicy; set: string[] };
  sweep: { active: SweepConfig; set: string[] };
  idleTimeoutMs: number | undefined;
  maxConnectionMs: number | undefined;
  auth: boolean;
  /** Run the deploy bundles in Node 22 workers instead of the source in-process. */
  bundled: boolean;
  quiet: boolean;
}

/**
 * Reads and checks `npm start`'s arguments (and QOSGATE_PORT). Throws UsageError naming the
 * option and what it wants; nothing is started or touched.
 */
export function readStartOptions(args: string[], env: NodeJS.ProcessEnv = process.env): StartOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        'in-memory': { type: 'boolean' },
        stage: { type: 'string' },
        policy: { type: 'string' },
        sweep: { type: 'string' },
        'idle-timeout-ms': { type: 'string' },
        'max-connection-ms': { type: 'string' },
        quiet: { type: 'boolean' },
        auth: { type: 'boolean' },
        bundled: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // parseArgs says e.g. "Unknown option '--prot'"; the help names the right ones.
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (npm start -- --help lists the options)`);
  }

  if (values['in-memory'] && values.data !== undefined) {
    throw new UsageError('--in-memory and --data exclude each other: --in-memory keeps nothing on disk, --data DIR keeps the data in DIR');
  }
  const port = values.port !== undefined ? portOption('--port', values.port) : env.QOSGATE_PORT ? portOption('QOSGATE_PORT', env.QOSGATE_PORT) : 3001;
  const host = hostOption(values.host ?? '127.0.0.1');
  if (values.data !== undefined && values.data.trim() === '') throw new UsageError('--data needs a folder');

  const policy = jsonOption('policy', values.policy, '{"ackTimeoutMs":3000}');
  const sweep = jsonOption('sweep', values.sweep, '{"intervalMs":1000}');
  try {
    // The synth's own checks (lib/config.ts): unknown keys and bad values, named.
    resolveConfig({ ...(values.stage !== undefined ? { stageName: values.stage } : {}), policy: policy ?? {}, sweep: sweep ?? {} });
  } catch (error) {
    throw new UsageError((error instanceof Error ? error.message : String(error)).replace(/^qosgate: /, ''));
  }
  const context: Record<string, unknown> = {};
  if (values.stage !== undefined) context['qosgate:stageName'] = values.stage;
  if (policy) context['qosgate:policy'] = policy;
  if (sweep) context['qosgate:sweep'] = sweep;
  if (values.auth) context['qosgate:authRequired'] = true;

  return {
    help: values.help ?? false,
    host,
    port,
    dataDir: values['in-memory'] ? undefined : values.data !== undefined ? resolve(values.data) : join(LOCAL_STATE_DIR, 'data'),
    context,
    policy: { active: { ...DEFAULT_POLICY, ...(policy as Partial<QosPolicy>) }, set: Object.keys(policy ?? {}) },
    sweep: { active: { ...DEFAULT_SWEEP, ...(sweep as Partial<SweepConfig>) }, set: Object.keys(sweep ?? {}) },
    idleTimeoutMs: durationOption('--idle-timeout-ms', values['idle-timeout-ms']),
    maxConnectionMs: durationOption('--max-connection-ms', values['max-connection-ms']),
    auth: values.auth ?? false,
    bundled: values.bundled ?? false,
    quiet: values.quiet ?? false,
  };
}

function portOption(name: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n > 65535) throw new UsageError(`${name} must be a port number from 0 to 65535 (0 picks a free one), got "${value}"`);
  return n;
}

/** An IP address of this machine, or a host name; the port check then finds out if it can listen there. */
function hostOption(value: string): string {
  if (isIP(value) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(value)) return value;
  throw new UsageError(`--host must be an IP address or a host name, got "${value}"`);
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function durationOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  // Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer one would fire at once.
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_TIMER_MS) throw new UsageError(`${name} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got "${value}"`);
  return n;
}

function jsonOption(name: string, value: string | undefined, example: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${name} is not JSON (${error instanceof Error ? error.message : String(error)}): give an object, e.g. '${example}'`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--${name} must be a JSON object, e.g. '${example}'`);
  return parsed as Record<string, unknown>;
}
