import type { Node } from 'constructs';
import {
  CLOCK_TOLERANCE_RULE,
  DEFAULT_SWEEP,
  FIRST_SENDS_ENV,
  FIRST_SENDS_RULE,
  FLOW_CONTROL_ENV,
  FLOW_CONTROL_RULE,
  INGEST_TOPICS_ENV,
  isClockTolerance,
  isFirstSendsMode,
  isFlowControlMode,
  isPositiveInteger,
  POLICY_ENV,
  settingRule,
  SWEEP_ENV,
  type FirstSendsMode,
  type NumericPolicyKey,
  type SweepConfig,
} from '../lambdas/config.js';
import { ingestTopicProblem } from '../lambdas/core/ingest.js';
import { ROUTE_TIMEOUT_SECONDS } from '../lambdas/routes.js';
import type { FlowControlMode, QosPolicy } from '../lambdas/core/policy.js';

/**
 * What one deployment may change. Everything else (routes, tables, grants) follows from the
 * route table and the table schema, so it is not configurable here on purpose.
 */
export interface QosgateConfig {
  /** The WebSocket stage; it is part of the wss:// URL and of the callback URL. */
  stageName: string;
  /** Policy values to set; each becomes its POLICY_ENV variable, the rest stay DEFAULT_POLICY. */
  policy: Partial<Pick<QosPolicy, NumericPolicyKey>>;
  /**
   * How flow control checks the cap (`lazy`, the default, or `strict`; docs/protocol.md "Flow
   * control"). Becomes FLOW_CONTROL on every function when set.
   */
  flowControl?: FlowControlMode;
  /**
   * Where a fan-out's first sends wait for their ack (`reference`, the default, or `marker`;
   * docs/architecture.md "Sparse first sends"): `marker` writes about a tenth of the DynamoDB
   * units per QoS 1 delivery, and sends a session that comes back within an ack timeout its
   * unacked first sends at their due time instead of at its `resume`. Becomes FIRST_SENDS on
   * every function when set.
   */
  firstSends?: FirstSendsMode;
  /** Sweep values to set; each becomes its SWEEP_ENV variable, the rest stay DEFAULT_SWEEP. */
  sweep: Partial<SweepConfig>;
  /** The functions' application log level (Lambda's advanced logging controls, which Powertools follows). */
  logLevel: LogLevel;
  /** Days CloudWatch Logs keeps the functions' and the stage's access logs (a value CloudWatch allows). */
  logRetentionDays: number;
  /**
   * Ship each bundle's source map and set NODE_OPTIONS=--enable-source-maps, so stack traces in
   * the logs point at the TypeScript. Off by default: the map doubles the zip and Node's source-map
   * support slows every cold start and every error's stack (docs/bench "Cold start").
   */
  sourceMaps: boolean;
  /** Where alarms are sent (an SNS topic with this e-mail subscribed); no topic when absent. */
  alarmEmail?: string;
  /**
   * A `$connect` Lambda REQUEST authorizer verifying a JWT (PROTOCOL §1): on by default, so a
   * deployed stage is closed unless asked otherwise. HS256 with a generated Secrets Manager
   * secret, or RS256 against {@link jwksUrl} (e.g. a Cognito user pool).
   */
  authRequired: boolean;
  /** RS256: the JWKS URL (Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`). Without it, HS256. */
  jwksUrl?: string;
  /** The `iss` every token must carry (checked when set; Cognito: `https://cognito-idp.{region}.amazonaws.com/{poolId}`). */
  jwtIssuer?: string;
  /** The `aud` every token must carry (checked when set; Cognito ID tokens: the app client id). */
  jwtAudience?: string;
  /**
   * Seconds a token may be past its `exp` or before its `nbf` (clock skew between the issuer and
   * Lambda); the authorizer's default is 30. Set on the authorizer as JWT_CLOCK_TOLERANCE_SECONDS.
   */
  jwtClockToleranceSeconds?: number;
  /**
   * Keep the tables (RETAIN, deletion protection) and the log groups when the stack is deleted
   * or a resource replaced. Defaults to true on a production stage (PRODUCTION_STAGES).
   */
  retainData: boolean;
  /** The resend-rate alarm fires when more frames than this are resent per minute, 5 minutes running. */
  resendAlarmThreshold: number;
  /** The stage's default route throttling (steady requests per second and burst). */
  throttle: ThrottleConfig;
  /** Fan-out beyond one Lambda: page sizes and the fan-out queue's settings (lib/constructs/fanout-queue.ts). */
  fanout: FanoutSettings;
  /**
   * Which client messages are recorded for history and the sink (PROTOCOL §10, §11):
   * `<controller>/<topic filter>` entries (`sensor/#`, `site-1/+/temp`; the controller `*` for every controller). Absent: every message.
   * Becomes INGEST_TOPICS on every function. (History's TTL is `policy.historyTtlMs`; 0 turns it off.)
   */
  ingestTopics?: string[];
  /** The ingestion sink (PROTOCOL §11, lib/constructs/ingestion-sink.ts, docs/ingestion.md). */
  sink: SinkSettings;
}

/**
 * The ingestion sink (`qosgate:sink`): on by default. What is recorded (for history and the sink
 * alike: one record) is chosen by `qosgate:ingestTopics`. Firehose buffers `bufferingSeconds` or `bufferingMiB`,
 * whichever comes first, before writing an S3 object (dynamic partitioning needs 60-900 s and
 * 64-128 MiB). The stream's event source mapping hands the Sink function `batchSize` records,
 * gathering up to `batchingWindowSeconds`, retries a failing batch `retryAttempts` times (halving
 * it each time), then sends its description to the dead-letter queue. S3 objects move to Glacier
 * Instant Retrieval after `glacierAfterDays` and are deleted after `expireAfterDays` (0: never).
 */
export interface SinkSettings {
  enabled: boolean;
  bufferingSeconds: number;
  bufferingMiB: number;
  batchSize: number;
  batchingWindowSeconds: number;
  retryAttempts: number;
  glacierAfterDays: number;
  expireAfterDays: number;
}

export const DEFAULT_SINK_SETTINGS: SinkSettings = {
  enabled: true,
  bufferingSeconds: 60,
  bufferingMiB: 64,
  batchSize: 100,
  batchingWindowSeconds: 1,
  retryAttempts: 10,
  glacierAfterDays: 90,
  expireAfterDays: 0,
};

/** The range of each numeric sink setting: what Firehose (with dynamic partitioning) and a DynamoDB event source mapping accept. */
export const SINK_LIMITS: Record<Exclude<keyof SinkSettings, 'enabled'>, [number, number]> = {
  bufferingSeconds: [60, 900],
  bufferingMiB: [64, 128],
  batchSize: [1, 10_000],
  batchingWindowSeconds: [0, 300],
  retryAttempts: [0, 10_000],
  glacierAfterDays: [1, 36_500],
  expireAfterDays: [0, 36_500],
};

function resolveSink(partial: Partial<SinkSettings>): SinkSettings {
  const { enabled, ...numbers } = partial;
  if (enabled !== undefined && typeof enabled !== 'boolean') throw new ConfigError(`qosgate: sink.enabled must be true or false, got ${JSON.stringify(enabled)}`);
  checkWholeNumbers('sink', numbers, Object.keys(DEFAULT_SINK_SETTINGS), SINK_LIMITS);
  const sink = { ...DEFAULT_SINK_SETTINGS, ...partial };
  if (sink.expireAfterDays !== 0 && sink.expireAfterDays <= sink.glacierAfterDays) {
    throw new ConfigError(`qosgate: sink.expireAfterDays (${sink.expireAfterDays}) must be 0 (never) or after sink.glacierAfterDays (${sink.glacierAfterDays})`);
  }
  return sink;
}

/**
 * Fan-out beyond one Lambda (docs/architecture.md): the first `inlinePageSize` recipients are
 * handed on by the publishing function itself, the rest by page jobs of `jobPageSize` on an SQS
 * queue (a span job reads the ends of `spanPages` pages and queues all but its first, which then
 * run side by side), whose event source mapping gives the FanoutPage worker `batchSize` jobs per invocation
 * and at most `maximumConcurrency` invocations at once. A job received `maxReceiveCount` times
 * without success goes to the dead-letter queue; an alarm fires when a job waits longer than
 * `oldestMessageAlarmSeconds`, and one when the dead-letter queue holds any.
 */
export interface FanoutSettings {
  inlinePageSize: number;
  jobPageSize: number;
  spanPages: number;
  batchSize: number;
  maximumConcurrency: number;
  maxReceiveCount: number;
  oldestMessageAlarmSeconds: number;
}

export const DEFAULT_FANOUT_SETTINGS: FanoutSettings = {
  inlinePageSize: 200,
  jobPageSize: 200,
  spanPages: 10,
  batchSize: 1,
  maximumConcurrency: 10,
  maxReceiveCount: 5,
  oldestMessageAlarmSeconds: 300,
};

/**
 * The range of each fan-out setting. The page sizes keep every invocation within half its
 * timeout (lib/constructs/fanout-queue.ts: up to 50 ms a recipient measured under the bench's
 * contention, 3 ms alone, and the worker's timeout grows with its page). A route function's
 * timeout does not (10 s, tied to the pubrel lease), so the inline page goes no higher than the
 * page the bench's sizing pass measures on the deploy bundles (200, bench/bundled-sizing.ts);
 * batch size and concurrency are what an SQS event source mapping accepts (batches above 10 need
 * a batching window; concurrency 2 to 1,000).
 */
export const FANOUT_LIMITS: Record<keyof FanoutSettings, [number, number]> = {
  // The default is the page the sizing pass measures (bench/bundled-sizing.ts LARGEST_INLINE_PAGE), so the cap follows it.
  inlinePageSize: [1, DEFAULT_FANOUT_SETTINGS.inlinePageSize],
  jobPageSize: [1, 5000],
  // A span's ends are recorded in one claim item (a page key each) and its jobs sent together.
  spanPages: [1, 20],
  batchSize: [1, 10],
  maximumConcurrency: [2, 1000],
  maxReceiveCount: [1, 1000],
  oldestMessageAlarmSeconds: [60, 1_209_600],
};

/** Why a limit is where it is, where that is not what the AWS service behind it accepts. */
const FANOUT_LIMIT_REASONS: Partial<Record<keyof FanoutSettings, string>> = {
  inlinePageSize:
    `the publishing function hands the inline page on within its ${ROUTE_TIMEOUT_SECONDS} s route timeout, and ${DEFAULT_FANOUT_SETTINGS.inlinePageSize} is the largest page measured to fit half of it (docs/bench, Lambda sizing); a larger audience goes on in page jobs of fanout.jobPageSize`,
};

function resolveFanout(partial: Partial<FanoutSettings>): FanoutSettings {
  checkWholeNumbers('fanout', partial, Object.keys(DEFAULT_FANOUT_SETTINGS), FANOUT_LIMITS, FANOUT_LIMIT_REASONS);
  return { ...DEFAULT_FANOUT_SETTINGS, ...partial };
}

/**
 * A settings group's numeric values (`qosgate:fanout`, `qosgate:sink`): each a known key, and a
 * whole number within its range (what the AWS service behind it accepts).
 */
function checkWholeNumbers(group: string, values: object, known: string[], limits: Record<string, [number, number]>, reasons: Record<string, string> = {}): void {
  for (const [key, value] of Object.entries(values)) {
    if (!known.includes(key)) throw new ConfigError(`qosgate: unknown ${group} setting "${key}" (known: ${known.join(', ')})`);
    const [min, max] = limits[key] as [number, number];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      const why = reasons[key] === undefined ? '' : `: ${reasons[key]}`;
      throw new ConfigError(`qosgate: ${group}.${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}${why}`);
    }
  }
}

/** What a caller may give: any setting, and any part of the fan-out settings. */
export type QosgateConfigInput = Partial<Omit<QosgateConfig, 'fanout' | 'sink'>> & { fanout?: Partial<FanoutSettings>; sink?: Partial<SinkSettings> };

export interface ThrottleConfig {
  rateLimit: number;
  burstLimit: number;
}

/** Lambda's application log levels (advanced logging controls): Lambda drops lines below it. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The retention periods CloudWatch Logs accepts (RetentionInDays). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Stage names whose data is retained unless `qosgate:retainData` says otherwise. */
export const PRODUCTION_STAGES = ['prod', 'production'];

export const DEFAULTS = {
  logLevel: 'INFO' as LogLevel,
  logRetentionDays: 30,
  sourceMaps: false,
  authRequired: true,
  resendAlarmThreshold: 100,
  throttle: { rateLimit: 1000, burstLimit: 500 } as ThrottleConfig,
};

export const DEFAULT_STAGE_NAME = 'dev';

/**
 * Context keys read by {@link configFromContext}: set them in cdk.json's "context" or on the
 * command line (`npx cdk synth -c qosgate:stageName=prod -c 'qosgate:policy={"attemptLimit":5}'`).
 */
export const CONTEXT_KEYS = {
  stageName: 'qosgate:stageName',
  policy: 'qosgate:policy',
  flowControl: 'qosgate:flowControl',
  firstSends: 'qosgate:firstSends',
  sweep: 'qosgate:sweep',
  logLevel: 'qosgate:logLevel',
  logRetentionDays: 'qosgate:logRetentionDays',
  sourceMaps: 'qosgate:sourceMaps',
  alarmEmail: 'qosgate:alarmEmail',
  authRequired: 'qosgate:authRequired',
  jwksUrl: 'qosgate:jwksUrl',
  jwtIssuer: 'qosgate:jwtIssuer',
  jwtAudience: 'qosgate:jwtAudience',
  jwtClockToleranceSeconds: 'qosgate:jwtClockToleranceSeconds',
  retainData: 'qosgate:retainData',
  resendAlarmThreshold: 'qosgate:resendAlarmThreshold',
  throttle: 'qosgate:throttle',
  fanout: 'qosgate:fanout',
  ingestTopics: 'qosgate:ingestTopics',
  sink: 'qosgate:sink',
} as const;

/**
 * A setting the synth refuses. `bin/qosgate.ts` prints its message alone (no stack trace) and
 * exits 1, so `cdk synth` / `cdk deploy` show what is wrong and nothing else.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The prefix every qosgate context key has: any other key under it is a typo. */
const CONTEXT_PREFIX = 'qosgate:';

/**
 * Refuses a `qosgate:*` context key that is none of {@link CONTEXT_KEYS}, naming the nearest
 * known one: `-c qosgate:stageNam=prod` would otherwise deploy the `dev` stage.
 */
export function checkContextKeys(keys: Iterable<string>): void {
  const known: string[] = Object.values(CONTEXT_KEYS);
  const unknown = [...keys].filter((key) => key.startsWith(CONTEXT_PREFIX) && !known.includes(key));
  if (unknown.length === 0) return;
  const described = unknown.map((key) => `"${key}" (did you mean "${nearest(key, known)}"?)`);
  throw new ConfigError(`qosgate: unknown context key ${described.join(', ')}; known keys: ${known.join(', ')}`);
}

/** The known key with the smallest edit distance to `key`, ignoring case (the first on a tie). */
function nearest(key: string, known: readonly string[]): string {
  let best = known[0] ?? '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The CloudFormation stack name of a stage: `Qosgate-dev`, `Qosgate-prod`. Each stage is its own
 * stack, so deploying `dev` never updates (or replaces) `prod` in the same account and region.
 * Stack names allow no `_`, so it becomes `-` (`prod_2` → `Qosgate-prod-2`).
 */
export function stackNameFor(stageName: string): string {
  return `Qosgate-${stageName.replaceAll('_', '-')}`;
}

/** CloudFormation's limit on a stack name's length. */
const STACK_NAME_MAX = 128;

/** API Gateway stage names: letters, digits, hyphens and underscores, at most 128. */
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Fills in the defaults and checks every value, so a typo fails the synth instead of being
 * deployed as a silently ignored (or rejected-at-cold-start) environment variable.
 */
export function resolveConfig(partial: QosgateConfigInput = {}): QosgateConfig {
  const stageName = partial.stageName ?? DEFAULT_STAGE_NAME;
  if (!STAGE_NAME.test(stageName)) {
    throw new ConfigError(`qosgate: stage name must match ${STAGE_NAME}, got "${stageName}"`);
  }
  if (stackNameFor(stageName).length > STACK_NAME_MAX) {
    throw new ConfigError(`qosgate: stage name must be at most ${STACK_NAME_MAX - stackNameFor('').length} characters, so that its stack name ${stackNameFor('')}<stage> fits CloudFormation's ${STACK_NAME_MAX}`);
  }
  const logLevel = partial.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`qosgate: logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const logRetentionDays = partial.logRetentionDays ?? DEFAULTS.logRetentionDays;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new ConfigError(`qosgate: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${JSON.stringify(logRetentionDays)}`);
  }
  if (partial.alarmEmail !== undefined && !EMAIL.test(partial.alarmEmail)) throw new ConfigError(`qosgate: alarmEmail is not an e-mail address: "${partial.alarmEmail}"`);
  const authRequired = partial.authRequired ?? DEFAULTS.authRequired;
  if (partial.jwksUrl !== undefined && !/^https:\/\/[^\s/]+\/\S*$/.test(partial.jwksUrl)) throw new ConfigError(`qosgate: jwksUrl must be an https:// URL, got "${partial.jwksUrl}"`);
  for (const key of ['jwksUrl', 'jwtIssuer', 'jwtAudience'] as const) {
    if (partial[key] !== undefined && !authRequired) throw new ConfigError(`qosgate: ${key} is set but authRequired is false: nothing would check tokens`);
    if (partial[key] === '') throw new ConfigError(`qosgate: ${key} must not be empty`);
  }
  if (partial.jwtClockToleranceSeconds !== undefined) {
    if (!authRequired) throw new ConfigError('qosgate: jwtClockToleranceSeconds is set but authRequired is false: nothing would check tokens');
    if (!isClockTolerance(partial.jwtClockToleranceSeconds)) {
      throw new ConfigError(`qosgate: jwtClockToleranceSeconds must be ${CLOCK_TOLERANCE_RULE}, got ${JSON.stringify(partial.jwtClockToleranceSeconds)}`);
    }
  }
  if (partial.flowControl !== undefined && !isFlowControlMode(partial.flowControl)) {
    throw new ConfigError(`qosgate: flowControl must be ${FLOW_CONTROL_RULE}, got ${JSON.stringify(partial.flowControl)}`);
  }
  if (partial.firstSends !== undefined && !isFirstSendsMode(partial.firstSends)) {
    throw new ConfigError(`qosgate: firstSends must be ${FIRST_SENDS_RULE}, got ${JSON.stringify(partial.firstSends)}`);
  }
  const resendAlarmThreshold = partial.resendAlarmThreshold ?? DEFAULTS.resendAlarmThreshold;
  positive('resendAlarmThreshold', resendAlarmThreshold);
  const throttle = { ...DEFAULTS.throttle, ...checkedNumbers('throttle', partial.throttle ?? {}, Object.keys(DEFAULTS.throttle)) };
  const ingestTopics = partial.ingestTopics === undefined ? undefined : checkedIngestTopics(partial.ingestTopics);
  return {
    stageName,
    policy: checkedNumbers('policy', partial.policy ?? {}, Object.keys(POLICY_ENV)),
    ...(partial.flowControl !== undefined ? { flowControl: partial.flowControl } : {}),
    ...(partial.firstSends !== undefined ? { firstSends: partial.firstSends } : {}),
    sweep: checkedNumbers('sweep', partial.sweep ?? {}, Object.keys(SWEEP_ENV)),
    logLevel,
    logRetentionDays,
    sourceMaps: partial.sourceMaps ?? DEFAULTS.sourceMaps,
    ...(partial.alarmEmail !== undefined ? { alarmEmail: partial.alarmEmail } : {}),
    authRequired,
    ...(partial.jwksUrl !== undefined ? { jwksUrl: partial.jwksUrl } : {}),
    ...(partial.jwtIssuer !== undefined ? { jwtIssuer: partial.jwtIssuer } : {}),
    ...(partial.jwtAudience !== undefined ? { jwtAudience: partial.jwtAudience } : {}),
    ...(partial.jwtClockToleranceSeconds !== undefined ? { jwtClockToleranceSeconds: partial.jwtClockToleranceSeconds } : {}),
    retainData: partial.retainData ?? PRODUCTION_STAGES.includes(stageName.toLowerCase()),
    resendAlarmThreshold,
    throttle,
    fanout: resolveFanout(partial.fanout ?? {}),
    ...(ingestTopics !== undefined ? { ingestTopics } : {}),
    sink: resolveSink(partial.sink ?? {}),
  };
}

/** A non-empty list of `<controller>/<topic filter>` entries; refused here as the Lambdas would at cold start. */
function checkedIngestTopics(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((entry) => typeof entry === 'string')) {
    throw new ConfigError(`qosgate: ingestTopics must be a non-empty list of <controller>/<topic filter>, got ${JSON.stringify(value)}`);
  }
  for (const entry of value as string[]) {
    const problem = entry.includes(',') ? `"${entry}" holds a comma` : ingestTopicProblem(entry);
    if (problem !== undefined) throw new ConfigError(`qosgate: ingestTopics: ${problem}`);
  }
  return value as string[];
}

/** INGEST_TOPICS when the list was set (none by default: the functions then record every message). */
export function ingestEnvironment(ingestTopics: readonly string[] | undefined): Record<string, string> {
  return ingestTopics === undefined ? {} : { [INGEST_TOPICS_ENV]: ingestTopics.join(',') };
}

/** Deliberately loose: one @, something on each side, a dot in the domain; SNS confirms the rest. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function positive(what: string, value: unknown): void {
  if (!isPositiveInteger(value)) throw new ConfigError(`qosgate: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
}

/**
 * Reads the {@link CONTEXT_KEYS} from the app's context. Objects may come from cdk.json as
 * JSON objects or from `-c` as JSON strings (the CLI passes every `-c` value as a string).
 */
export function configFromContext(node: Node): QosgateConfig {
  checkContextKeys(Object.keys(node.getAllContext() as Record<string, unknown>));
  const partial: QosgateConfigInput = {
    stageName: node.tryGetContext(CONTEXT_KEYS.stageName) as string | undefined,
    policy: contextObject(node, CONTEXT_KEYS.policy),
    flowControl: contextString(node, CONTEXT_KEYS.flowControl) as FlowControlMode | undefined,
    firstSends: contextString(node, CONTEXT_KEYS.firstSends) as FirstSendsMode | undefined,
    sweep: contextObject(node, CONTEXT_KEYS.sweep),
    logLevel: contextString(node, CONTEXT_KEYS.logLevel)?.toUpperCase() as LogLevel | undefined,
    logRetentionDays: contextNumber(node, CONTEXT_KEYS.logRetentionDays),
    sourceMaps: contextBoolean(node, CONTEXT_KEYS.sourceMaps),
    alarmEmail: contextString(node, CONTEXT_KEYS.alarmEmail) || undefined,
    authRequired: contextBoolean(node, CONTEXT_KEYS.authRequired),
    jwksUrl: contextString(node, CONTEXT_KEYS.jwksUrl) || undefined,
    jwtIssuer: contextString(node, CONTEXT_KEYS.jwtIssuer) || undefined,
    jwtAudience: contextString(node, CONTEXT_KEYS.jwtAudience) || undefined,
    jwtClockToleranceSeconds: contextNumber(node, CONTEXT_KEYS.jwtClockToleranceSeconds),
    retainData: contextBoolean(node, CONTEXT_KEYS.retainData),
    resendAlarmThreshold: contextNumber(node, CONTEXT_KEYS.resendAlarmThreshold),
    throttle: contextObject(node, CONTEXT_KEYS.throttle),
    fanout: contextObject(node, CONTEXT_KEYS.fanout),
    ingestTopics: contextList(node, CONTEXT_KEYS.ingestTopics),
    sink: contextObject(node, CONTEXT_KEYS.sink),
  };
  // Unset keys stay unset, so resolveConfig's defaults apply.
  return resolveConfig(Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as QosgateConfigInput);
}

function contextString(node: Node, key: string): string | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ConfigError(`qosgate: context "${key}" must be a string`);
  return raw;
}

/** A JSON array (cdk.json, or `-c 'key=["a","b"]'`) or a comma-separated string (`-c key=sensor/#,monitor/temp`). */
function contextList(node: Node, key: string): string[] | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) return raw as string[];
  if (typeof raw !== 'string') throw new ConfigError(`qosgate: context "${key}" must be a list`);
  if (raw.trim().startsWith('[')) return parseJson(key, raw) as string[];
  return raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/** `-c key=5` arrives as the string "5"; cdk.json may hold the number. */
function contextNumber(node: Node, key: string): number | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(`qosgate: context "${key}" must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

/** `-c key=true` arrives as the string "true"; cdk.json may hold the boolean. */
function contextBoolean(node: Node, key: string): boolean | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return undefined;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ConfigError(`qosgate: context "${key}" must be true or false, got ${JSON.stringify(raw)}`);
}

/** The POLICY_ENV variables for the policy values that were set (none by default). */
export function policyEnvironment(policy: Partial<Pick<QosPolicy, NumericPolicyKey>>): Record<string, string> {
  return toEnvironment(policy, POLICY_ENV);
}

/** FLOW_CONTROL when the mode was set (none by default: the functions then use `lazy`). */
export function flowControlEnvironment(mode: FlowControlMode | undefined): Record<string, string> {
  return mode === undefined ? {} : { [FLOW_CONTROL_ENV]: mode };
}

/** FIRST_SENDS when the layout was set (none by default: the functions then use `reference`). */
export function firstSendsEnvironment(mode: FirstSendsMode | undefined): Record<string, string> {
  return mode === undefined ? {} : { [FIRST_SENDS_ENV]: mode };
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
    if (!known.includes(key)) throw new ConfigError(`qosgate: unknown ${what} setting "${key}" (known: ${known.join(', ')})`);
    // Refuse here what the Lambdas would refuse at cold start (lambdas/config.ts).
    const rule = settingRule(key);
    if (value !== undefined && !rule.valid(value)) {
      throw new ConfigError(`qosgate: ${what}.${key} must be ${rule.wanted}, got ${JSON.stringify(value)}`);
    }
  }
  return values;
}

function contextObject<T>(node: Node, key: string): T | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const value: unknown = typeof raw === 'string' ? parseJson(key, raw) : raw;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`qosgate: context "${key}" must be a JSON object`);
  }
  return value as T;
}

/** `-c 'qosgate:policy={attemptLimit:5}'` (shell-eaten quotes) must say so, not throw a SyntaxError. */
function parseJson(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`qosgate: context "${key}" is not valid JSON (${reason}): ${raw} (quote it for the shell: -c '${key}={"name":1}')`);
  }
}
