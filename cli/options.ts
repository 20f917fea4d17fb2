/**
 * What every qosgate command shares: the connection options (PROTOCOL §1), their parsing
 * with node:util parseArgs, durations like `1s`, data parsed as the text frames do it, and
 * the help text.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Qos } from '../client/frames.js';
import type { WillOption } from '../client/url.js';

/** What `npm start` prints. */
export const DEFAULT_URL = 'ws://127.0.0.1:3001/dev';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; valueName?: string };
export type OptionSpecs = Record<string, OptionSpec>;

/** The connection options of every command. */
export const CONNECTION_OPTIONS: OptionSpecs = {
  url: { type: 'string', description: `the endpoint with its stage (default ${DEFAULT_URL})`, valueName: 'url' },
  'client-id': { type: 'string', description: 'a stable identity (needed for --session persistent)', valueName: 'id' },
  session: { type: 'string', description: 'clean (default) or persistent', valueName: 'kind' },
  token: { type: 'string', description: 'bearer token, when auth is on', valueName: 'token' },
  will: { type: 'string', description: "last will, published if this connection is lost (as a text frame: 'monitor|status/dev-7|offline')", valueName: 'c|t|data' },
  'will-qos': { type: 'string', description: 'QoS of the will (default 0)', valueName: '0|1|2' },
  'will-retain': { type: 'boolean', description: 'the will becomes its topic\'s retained value' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** A command of the CLI: its help and what it does. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpecs;
  /** Extra help text after the options (examples). */
  notes?: string;
  /** Runs until done; resolves with the process exit code. */
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

/** The process, as the commands use it (a test may pass its own). */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C / SIGTERM: the command closes its connection and returns. */
  signal: AbortSignal;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses argv for a command; throws UsageError on unknown options or missing values. */
export function parseCommandArgs(command: Command, argv: string[]): { values: Values; positionals: string[] } {
  const options = Object.fromEntries(Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) }]));
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function helpText(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : ''}`;
    return `  ${flag.padEnd(30)} ${spec.description}`;
  });
  return [`Usage: ${command.usage}`, '', command.summary, '', 'Options:', ...rows, ...(command.notes ? ['', command.notes] : []), ''].join('\n');
}

export function qosOption(value: Values[string], fallback: Qos): Qos {
  if (value === undefined) return fallback;
  if (value === '0' || value === '1' || value === '2') return Number(value) as Qos;
  throw new UsageError(`--qos must be 0, 1 or 2, not ${String(value)}`);
}

/**
 * `--expiry <seconds>` (PROTOCOL §4 per-message expiry): a whole number of seconds, 1 or more.
 * The upper bound is the server's message TTL: the server refuses more, naming its rule.
 */
export function expiryOption(value: Values[string]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && /^[1-9]\d*$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  throw new UsageError(`--expiry must be a whole number of seconds, 1 or more, not ${String(value)}`);
}

export function sessionOption(value: Values[string]): 'clean' | 'persistent' | undefined {
  if (value === undefined || value === 'clean' || value === 'persistent') return value;
  throw new UsageError(`--session must be clean or persistent, not ${String(value)}`);
}

export function countOption(value: Values[string]): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--count must be a whole number of at least 1, not ${String(value)}`);
  return n;
}

/** `250ms`, `1s`, `1.5s`, `2m`, `1h`, or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`not a duration: ${text} (examples: 500ms, 1s, 2m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

/** Data as the text frames read it (PROTOCOL §6): JSON where it parses, else the string. */
export function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The connection options of ClientOptions from the shared flags. */
export function connectionOptions(values: Values): { url: string; clientId?: string; session?: 'clean' | 'persistent'; token?: string; will?: WillOption } {
  const session = sessionOption(values.session);
  const will = willOption(values);
  return {
    url: typeof values.url === 'string' ? values.url : DEFAULT_URL,
    ...(typeof values['client-id'] === 'string' ? { clientId: values['client-id'] } : {}),
    ...(session ? { session } : {}),
    ...(typeof values.token === 'string' ? { token: values.token } : {}),
    ...(will ? { will } : {}),
  };
}

/**
 * `--will 'controller|topic|data'` (PROTOCOL §9), written as a text frame is (§6): split on the
 * first two `|`, data read as JSON where it parses; with `--will-qos` and `--will-retain`.
 */
export function willOption(values: Values): WillOption | undefined {
  const text = values.will;
  if (typeof text !== 'string') {
    if (values['will-qos'] !== undefined || values['will-retain'] !== undefined) throw new UsageError('--will-qos and --will-retain go with --will');
    return undefined;
  }
  const first = text.indexOf('|');
  const second = first < 0 ? -1 : text.indexOf('|', first + 1);
  const controller = first < 0 ? '' : text.slice(0, first);
  const topic = first < 0 ? '' : second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
  if (controller === '' || topic === '') throw new UsageError(`--will must be controller|topic|data, not ${text}`);
  const qosText = values['will-qos'];
  const qos = qosText === undefined ? undefined : qosText === '0' || qosText === '1' || qosText === '2' ? (Number(qosText) as Qos) : undefined;
  if (qosText !== undefined && qos === undefined) throw new UsageError(`--will-qos must be 0, 1 or 2, not ${String(qosText)}`);
  return {
    controller,
    topic,
    ...(second >= 0 ? { data: parseData(text.slice(second + 1)) } : {}),
    ...(qos !== undefined ? { qos } : {}),
    ...(values['will-retain'] === true ? { retain: true } : {}),
  };
}

/** Resolves when the signal aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export function line(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`);
}
