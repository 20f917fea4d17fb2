import { DEFAULT_POLICY, FLOW_CONTROL_MODES, type FlowControlMode, type QosPolicy } from './core/policy.js';
import { TABLES, type TableName } from './adapters/dynamodb/schema.js';
import { ingestTopicProblem } from './core/ingest.js';

/**
 * Configuration from the environment, read once per container by fail-fast helpers: a
 * missing table name stops the function at cold start with a clear message, not at the
 * first frame. The CDK stack and the local runtime set exactly these variables.
 */

/** The policy's numeric settings (all but the flow control mode and ingestion's list and switch, which have variables of their own). */
export type NumericPolicyKey = Exclude<keyof QosPolicy, 'flowControl' | 'ingestTopics' | 'sinkEnabled'>;

/** Environment variable names for the policy's numbers (each optional; defaults in DEFAULT_POLICY). */
export const POLICY_ENV: Record<NumericPolicyKey, string> = {
  ackTimeoutMs: 'ACK_TIMEOUT_MS',
  backoffCapMs: 'BACKOFF_CAP_MS',
  attemptLimit: 'ATTEMPT_LIMIT',
  messageTtlMs: 'MESSAGE_TTL_MS',
  sessionTtlMs: 'SESSION_TTL_MS',
  connectionTtlMs: 'CONNECTION_TTL_MS',
  retainedTtlMs: 'RETAINED_TTL_MS',
  deadLetterTtlMs: 'DEAD_LETTER_TTL_MS',
  expiryGraceMs: 'EXPIRY_GRACE_MS',
  releaseLeaseMs: 'RELEASE_LEASE_MS',
  maxDataBytes: 'MAX_DATA_BYTES',
  rateLimitPerSecond: 'RATE_LIMIT_PER_SECOND',
  rateLimitBurst: 'RATE_LIMIT_BURST',
  maxInflight: 'MAX_INFLIGHT',
  historyTtlMs: 'HISTORY_TTL_MS',
};

/**
 * Which client messages are recorded for history and the sink (`qosgate:ingestTopics`):
 * `<controller>/<topic filter>` entries joined by commas (names hold no comma). Unset: everything.
 */
export const INGEST_TOPICS_ENV = 'INGEST_TOPICS';

/**
 * `true` on the functions that record when the deployment's ingestion sink is on (the stack sets
 * it); anything else but unset is refused. With history off (HISTORY_TTL_MS=0) records are then
 * still written, for the sink only (core/ingest.ts).
 */
export const SINK_ENABLED_ENV = 'SINK_ENABLED';

/**
 * How flow control checks the cap (`qosgate:flowControl`): `lazy` (the default) or `strict`
 * (docs/protocol.md "Flow control"). Unset means the default.
 */
export const FLOW_CONTROL_ENV = 'FLOW_CONTROL';

export const FLOW_CONTROL_RULE = `one of ${FLOW_CONTROL_MODES.join(', ')}`;

export function isFlowControlMode(value: unknown): value is FlowControlMode {
  return typeof value === 'string' && (FLOW_CONTROL_MODES as readonly string[]).includes(value);
}

/**
 * Where a fan-out's first sends wait for their ack (`qosgate:firstSends`; docs/architecture.md
 * "Sparse first sends"): `reference` (the default), an item per recipient that the ack deletes;
 * `marker`, only the page's due marker, and an ack record per msgack frame, which costs about a
 * tenth of the writes but sends a returning session its unacked first sends at their due time
 * rather than at its `resume` (docs/protocol.md "Resume").
 */
export const FIRST_SENDS_ENV = 'FIRST_SENDS';
export const FIRST_SENDS_MODES = ['reference', 'marker'] as const;
export type FirstSendsMode = (typeof FIRST_SENDS_MODES)[number];
export const FIRST_SENDS_RULE = `one of ${FIRST_SENDS_MODES.join(', ')}`;

export function isFirstSendsMode(value: unknown): value is FirstSendsMode {
  return typeof value === 'string' && (FIRST_SENDS_MODES as readonly string[]).includes(value);
}

/** FIRST_SENDS: a bad value stops the function at cold start, as a bad number does. */
export function readFirstSends(env: Env): FirstSendsMode {
  const raw = env[FIRST_SENDS_ENV];
  if (raw === undefined || raw === '') return 'reference';
  if (!isFirstSendsMode(raw)) throw new Error(`qosgate: ${FIRST_SENDS_ENV} must be ${FIRST_SENDS_RULE}, got "${raw}"`);
  return raw;
}

/** The resend sweep's own settings. */
export interface SweepConfig {
  /**
   * Shards of the resend index (the sweep Queries each). Every function that writes pending
   * entries picks their shard from this, so it can be raised safely; lowering it strands
   * entries in the dropped shards (never swept) until their TTL.
   */
  shards: number;
  /** Pause between sweeps within one scheduled invocation. */
  intervalMs: number;
  /** How long one invocation keeps sweeping (EventBridge fires at most once a minute). */
  windowMs: number;
  /** Most entries claimed per shard per sweep. */
  batchSize: number;
}

export const SWEEP_ENV: Record<keyof SweepConfig, string> = {
  shards: 'RESEND_SHARDS',
  intervalMs: 'SWEEP_INTERVAL_MS',
  windowMs: 'SWEEP_WINDOW_MS',
  batchSize: 'SWEEP_BATCH_SIZE',
};

export const DEFAULT_SWEEP: SweepConfig = { shards: 4, intervalMs: 5000, windowMs: 50_000, batchSize: 100 };

/**
 * Fan-out beyond one Lambda (docs/architecture.md): a delivery reads its audience page by page;
 * the first page is handed on inline, the rest go as page jobs on the fan-out queue.
 */
export interface FanoutConfig {
  /** Recipients read and handed on inline, in the publishing function, before any queue hop. */
  inlinePageSize: number;
  /** Recipients per page job (what one FanoutPage worker hands on per job). */
  jobPageSize: number;
  /**
   * Pages a span job reads the ends of (one Query each): it hands the first on and queues the
   * others as bounded jobs, which run side by side, and the rest of the audience as the next
   * span (app/fanout-page.ts). 1 is a chain of pages one after another.
   */
  spanPages: number;
  /**
   * How long a worker holds a page (its claim's lease). Must exceed the worker's timeout, so
   * that a live worker's lease never runs out under it (the stack sets twice the timeout).
   */
  leaseMs: number;
}

export const FANOUT_ENV: Record<keyof FanoutConfig, string> = {
  inlinePageSize: 'FANOUT_INLINE_PAGE_SIZE',
  jobPageSize: 'FANOUT_JOB_PAGE_SIZE',
  spanPages: 'FANOUT_SPAN_PAGES',
  leaseMs: 'FANOUT_LEASE_MS',
};

/** The fan-out queue's URL; a function without it hands every page on inline (tests, in-memory hosts). */
export const FANOUT_QUEUE_URL_ENV = 'FANOUT_QUEUE_URL';

export const DEFAULT_FANOUT: FanoutConfig = { inlinePageSize: 200, jobPageSize: 200, spanPages: 10, leaseMs: 60_000 };

/** The stage's callback URL (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
export const CALLBACK_URL_ENV = 'CALLBACK_URL';

/**
 * How the `$connect` authorizer verifies tokens (set by the stack on the Authorizer function):
 * RS256 against a JWKS when JWKS_URL is set, else HS256 with the secret JWT_SECRET_ARN names.
 * Without either (the local runtime, which has no Secrets Manager), the HS256 key is the host's
 * QOSGATE_JWT_SECRET; `qosgate token` signs with the same variable.
 */
export const AUTH_ENV = {
  secretArn: 'JWT_SECRET_ARN',
  jwksUrl: 'JWKS_URL',
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  clockToleranceSeconds: 'JWT_CLOCK_TOLERANCE_SECONDS',
  localSecret: 'QOSGATE_JWT_SECRET',
} as const;

/** The most tolerance accepted: more would make a token's `exp` mean little. */
export const MAX_JWT_CLOCK_TOLERANCE_SECONDS = 300;

/** A whole number of seconds from 0 (exact clocks) to {@link MAX_JWT_CLOCK_TOLERANCE_SECONDS}. */
export function isClockTolerance(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_JWT_CLOCK_TOLERANCE_SECONDS;
}

export const CLOCK_TOLERANCE_RULE = `a whole number of seconds from 0 to ${MAX_JWT_CLOCK_TOLERANCE_SECONDS}`;

/**
 * JWT_CLOCK_TOLERANCE_SECONDS (set from `qosgate:jwtClockToleranceSeconds`): seconds a token may
 * be past its `exp` or before its `nbf`; `undefined` when unset (the verifier's default, 30 s).
 * A bad value stops the Authorizer at cold start.
 */
export function readJwtClockTolerance(env: Env): number | undefined {
  const raw = env[AUTH_ENV.clockToleranceSeconds];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!isClockTolerance(value)) throw new Error(`qosgate: ${AUTH_ENV.clockToleranceSeconds} must be ${CLOCK_TOLERANCE_RULE}, got "${raw}"`);
  return value;
}

/**
 * The HS256 key `npm start -- --auth` uses when QOSGATE_JWT_SECRET is not set, and `qosgate token`
 * signs with by default: public, so for a laptop only. The Lambdas never fall back to it.
 */
export const LOCAL_DEV_JWT_SECRET = 'qosgate-local-dev-secret-not-for-production-use-0001';

type Env = Record<string, string | undefined>;

export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`qosgate: environment variable ${name} is required`);
  return value;
}

/** What every numeric setting must be (the CDK config refuses anything else at synth). */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Settings where 0 means "off" rather than nonsense (flow control's cap). */
const ZERO_TURNS_OFF: ReadonlySet<string> = new Set<NumericPolicyKey>(['maxInflight', 'historyTtlMs']);

/** The check for one setting, and its wording in an error. */
export function settingRule(key: string): { valid: (value: unknown) => boolean; wanted: string } {
  if (!ZERO_TURNS_OFF.has(key)) return { valid: isPositiveInteger, wanted: 'a positive integer' };
  return { valid: (value) => value === 0 || isPositiveInteger(value), wanted: 'a positive integer or 0 (off)' };
}

function integerSetting(env: Env, key: string, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const rule = settingRule(key);
  if (!rule.valid(value)) throw new Error(`qosgate: ${name} must be ${rule.wanted}, got "${raw}"`);
  return value;
}

export function readPolicy(env: Env): QosPolicy {
  const policy = { ...DEFAULT_POLICY };
  for (const key of Object.keys(POLICY_ENV) as NumericPolicyKey[]) {
    policy[key] = integerSetting(env, key, POLICY_ENV[key], DEFAULT_POLICY[key]);
  }
  policy.flowControl = readFlowControl(env);
  policy.ingestTopics = readIngestTopics(env);
  policy.sinkEnabled = readSinkEnabled(env);
  return policy;
}

/** INGEST_TOPICS: a bad entry stops the function at cold start, naming it. */
export function readIngestTopics(env: Env): readonly string[] {
  const raw = env[INGEST_TOPICS_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_POLICY.ingestTopics;
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    const problem = ingestTopicProblem(entry);
    if (problem !== undefined) throw new Error(`qosgate: ${INGEST_TOPICS_ENV}: ${problem}`);
  }
  return entries;
}

/** SINK_ENABLED: `true` or `false` (unset: false). */
function readSinkEnabled(env: Env): boolean {
  const raw = env[SINK_ENABLED_ENV];
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new Error(`qosgate: ${SINK_ENABLED_ENV} must be true or false, got "${raw}"`);
}

/** FLOW_CONTROL: a bad value stops the function at cold start, as a bad number does. */
function readFlowControl(env: Env): FlowControlMode {
  const raw = env[FLOW_CONTROL_ENV];
  if (raw === undefined || raw === '') return DEFAULT_POLICY.flowControl;
  if (!isFlowControlMode(raw)) throw new Error(`qosgate: ${FLOW_CONTROL_ENV} must be ${FLOW_CONTROL_RULE}, got "${raw}"`);
  return raw;
}

export function readSweep(env: Env): SweepConfig {
  const sweep = { ...DEFAULT_SWEEP };
  for (const key of Object.keys(SWEEP_ENV) as Array<keyof SweepConfig>) {
    sweep[key] = integerSetting(env, key, SWEEP_ENV[key], DEFAULT_SWEEP[key]);
  }
  return sweep;
}

export function readFanout(env: Env): FanoutConfig {
  const fanout = { ...DEFAULT_FANOUT };
  for (const key of Object.keys(FANOUT_ENV) as Array<keyof FanoutConfig>) {
    fanout[key] = integerSetting(env, key, FANOUT_ENV[key], DEFAULT_FANOUT[key]);
  }
  return fanout;
}

/** Table names for the tables a function was granted; the others stay undefined. */
export function readTableNames(env: Env, needed: TableName[]): Partial<Record<TableName, string>> {
  const names: Partial<Record<TableName, string>> = {};
  for (const table of needed) names[table] = requireEnv(env, TABLES[table].envVar);
  return names;
}

/**
 * The ingestion sink (PROTOCOL §11, docs/ingestion.md): the Sink function's Firehose delivery
 * stream, and the flag the stack sets on the functions that write history records (Publish,
 * Pubrel, and Default for text-frame publishes) when the sink is on.
 */
export const SINK_ENV = { deliveryStream: 'SINK_DELIVERY_STREAM', enabled: 'SINK_ENABLED' } as const;
