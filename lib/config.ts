import type { Node } from 'constructs';
import { DEFAULT_SWEEP, POLICY_ENV, SWEEP_ENV, type SweepConfig } from '../lambdas/config.js';
import type { QosPolicy } from '../lambdas/core/policy.js';

/**
 * What one deployment may change. Everything else (routes, tables, grants) follows from the
 * route table and the table schema, so it is not configurable here on purpose.
 */
export interface QosgateConfig {
  /** The WebSocket stage; it is part of the wss:// URL and of the callback URL. */
  stageName: string;
  /** Policy values to set; each becomes its POLICY_ENV variable, the rest stay DEFAULT_POLICY. */
  policy: Partial<QosPolicy>;
  /** Sweep values to set; each becomes its SWEEP_ENV variable, the rest stay DEFAULT_SWEEP. */
  sweep: Partial<SweepConfig>;
}

export const DEFAULT_STAGE_NAME = 'dev';

/**
 * Context keys read by {@link configFromContext}: set them in cdk.json's "context" or on the
 * command line (`npx cdk synth -c qosgate:stageName=prod -c 'qosgate:policy={"attemptLimit":5}'`).
 */
export const CONTEXT_KEYS = {
  stageName: 'qosgate:stageName',
  policy: 'qosgate:policy',
  sweep: 'qosgate:sweep',
} as const;

/** API Gateway stage names: letters, digits, hyphens and underscores, at most 128. */
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Fills in the defaults and checks every value, so a typo fails the synth instead of being
 * deployed as a silently ignored (or rejected-at-cold-start) environment variable.
 */
export function resolveConfig(partial: Partial<QosgateConfig> = {}): QosgateConfig {
  const stageName = partial.stageName ?? DEFAULT_STAGE_NAME;
  if (!STAGE_NAME.test(stageName)) {
    throw new Error(`qosgate: stage name must match ${STAGE_NAME}, got "${stageName}"`);
  }
  return {
    stageName,
    policy: checkedNumbers('policy', partial.policy ?? {}, Object.keys(POLICY_ENV)),
    sweep: checkedNumbers('sweep', partial.sweep ?? {}, Object.keys(SWEEP_ENV)),
  };
}

/**
 * Reads the {@link CONTEXT_KEYS} from the app's context. Objects may come from cdk.json as
 * JSON objects or from `-c` as JSON strings (the CLI passes every `-c` value as a string).
 */
export function configFromContext(node: Node): QosgateConfig {
  return resolveConfig({
    stageName: node.tryGetContext(CONTEXT_KEYS.stageName) as string | undefined,
    policy: contextObject(node, CONTEXT_KEYS.policy),
    sweep: contextObject(node, CONTEXT_KEYS.sweep),
  });
}

/** The POLICY_ENV variables for the policy values that were set (none by default). */
export function policyEnvironment(policy: Partial<QosPolicy>): Record<string, string> {
  return toEnvironment(policy, POLICY_ENV);
}

/** The SWEEP_ENV variables for the sweep values that were set (none by default). */
export function sweepEnvironment(sweep: Partial<SweepConfig>): Record<string, string> {
  return toEnvironment(sweep, SWEEP_ENV);
}

/** The sweep window in effect: the resend function's timeout is derived from it. */
export function sweepWindowMs(sweep: Partial<SweepConfig>): number {
  return sweep.windowMs ?? DEFAULT_SWEEP.windowMs;
}

function toEnvironment<K extends string>(values: Partial<Record<K, number>>, names: Record<K, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values) as Array<[K, number | undefined]>) {
    if (value !== undefined) env[names[key]] = String(value);
  }
  return env;
}

function checkedNumbers<T extends object>(what: string, values: T, known: string[]): T {
  for (const [key, value] of Object.entries(values)) {
    if (!known.includes(key)) throw new Error(`qosgate: unknown ${what} setting "${key}" (known: ${known.join(', ')})`);
    // The Lambdas accept only positive integers (lambdas/config.ts); refuse anything else here.
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new Error(`qosgate: ${what}.${key} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  return values;
}

function contextObject<T>(node: Node, key: string): T | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`qosgate: context "${key}" must be a JSON object`);
  }
  return value as T;
}
