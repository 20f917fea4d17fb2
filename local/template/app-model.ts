import { isAbsolute, resolve } from 'node:path';
import { getAttOf, isObject, joinPartsOf, refOf, type CfnResource, type CfnTemplate } from './cfn-template.js';

/**
 * What the local runtime needs from the synthesized template, and nothing it could take from
 * anywhere else: it routes, runs, stores and schedules by this model only, so what runs on
 * one machine is what the template deploys (test/local/template/no-drift.test.ts proves it).
 *
 * ```
 *  Route ──Target──▶ Integration ──IntegrationUri──▶ Function ──aws:cdk:path──▶ functionId
 *  Rule ──Targets[].Arn──▶ Function;  Function.Environment ──Ref──▶ Table
 * ```
 *
 * Pure: no I/O. Anything it does not understand throws an {@link AppModelError}, so a stack
 * change the local runtime would silently get wrong stops `npm start` instead.
 */

/**
 * A function's environment value exactly as the template has it: a literal string, or an
 * intrinsic such as `{ Ref: tableLogicalId }` or the `Fn::Join` that builds the callback URL.
 */
export type EnvValue = string | Record<string, unknown>;

export interface RouteModel {
  /** `$connect`, `$disconnect`, `$default` or an action (`publish`, ...). */
  routeKey: string;
  /** The route-table id of the function it integrates (`Publish`, `Default`, ...). */
  functionId: string;
  /** `NONE` today; `CUSTOM` when a Lambda authorizer guards `$connect`. */
  authorizationType?: string;
  /**
   * Set when the route is two-way: only then does API Gateway send the integration's
   * response body back to the client. Unset (as today), a handler's return body is dropped.
   */
  routeResponseSelectionExpression?: string;
}

export interface AuthorizerModel {
  functionId: string;
  /** e.g. `route.request.header.Authorization`, `route.request.querystring.token`. */
  identitySource: string[];
  type: 'REQUEST';
}

export interface FunctionModel {
  logicalId: string;
  /** The route-table id (ROUTES[].id or RESEND.id): the construct id in `aws:cdk:path`. */
  functionId: string;
  cdkPath: string;
  timeoutSeconds: number;
  memoryMb: number;
  handler: string;
  runtime: string;
  environment: Record<string, EnvValue>;
  /**
   * Variables that name a Secrets Manager secret (a Ref to one). There is no Secrets Manager
   * locally: {@link resolveEnvironment} leaves them out, and the function falls back to its
   * local setting (the Authorizer: the host's QOSGATE_JWT_SECRET).
   */
  secretVariables?: string[];
  /**
   * The function's code asset (`aws:asset:path` metadata): with a bundled synth
   * (local/template/synth.ts `bundle`), the deploy bundle's folder, absolute when
   * readAppModel is given the assembly folder. `bundled` is the metadata's `aws:asset:is-bundled`:
   * a synth with bundling turned off says true too, with the project folder as the path (no bundle there).
   */
  asset?: { path: string; bundled: boolean };
  /** Lambda's logging controls (`LoggingConfig`): Lambda hands them to the code as AWS_LAMBDA_LOG_LEVEL / AWS_LAMBDA_LOG_FORMAT. */
  logging?: { format?: string; applicationLogLevel?: string };
}

export interface KeyElement {
  attributeName: string;
  keyType: 'HASH' | 'RANGE';
}

export interface AttributeDefinition {
  attributeName: string;
  attributeType: 'S' | 'N' | 'B';
}

export interface Projection {
  projectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  nonKeyAttributes?: string[];
}

export interface IndexModel {
  indexName: string;
  keySchema: KeyElement[];
  projection: Projection;
}

export interface TableModel {
  logicalId: string;
  /** The construct id: `Connections`, `Pending`, `DeadLetters`, ... */
  id: string;
  keySchema: KeyElement[];
  attributeDefinitions: AttributeDefinition[];
  globalSecondaryIndexes: IndexModel[];
  /** The TTL attribute when the template enables TTL. */
  ttlAttribute?: string;
  /** The table's DynamoDB stream (StreamSpecification.StreamViewType) when the template gives it one. */
  streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
}

export interface ScheduleModel {
  functionId: string;
  /** As in the rule: `rate(1 minute)`, `cron(0 12 * * ? *)`. */
  expression: string;
  /** The period of a `rate(...)`; undefined for a `cron(...)`. */
  intervalMs?: number;
}

/** An SQS queue of the template (the fan-out queue and its dead-letter queue). */
export interface QueueModel {
  logicalId: string;
  /** The construct id: `Queue`, `DeadLetterQueue`. */
  id: string;
  visibilityTimeoutSeconds: number;
  messageRetentionSeconds: number;
  /** Where a message goes after `maxReceiveCount` receives. */
  redrive?: { deadLetterQueueLogicalId: string; maxReceiveCount: number };
}

/** A Lambda event source mapping on one of the template's queues. */
export interface EventSourceMappingModel {
  queueLogicalId: string;
  functionId: string;
  batchSize: number;
  /** ScalingConfig.MaximumConcurrency; unbounded when absent. */
  maximumConcurrency?: number;
  reportBatchItemFailures: boolean;
}

/**
 * A Lambda event source mapping on a table's DynamoDB stream (the ingestion sink's), with what
 * Lambda does by it (local/streams/stream-mapping.ts runs it on DynamoDB Local's stream).
 */
export interface StreamEventSourceMappingModel {
  logicalId: string;
  tableLogicalId: string;
  functionId: string;
  /** Lambda's default for a stream: 100. */
  batchSize: number;
  /** MaximumBatchingWindowInSeconds: how long to gather a batch (default 0). */
  batchingWindowSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** MaximumRetryAttempts; -1 (the default) retries until the records expire. */
  retryAttempts: number;
  bisectOnError: boolean;
  reportBatchItemFailures: boolean;
  /** DestinationConfig.OnFailure: the template's queue that gets a failed batch's description. */
  onFailureQueueLogicalId?: string;
  /** FilterCriteria patterns (JSON), any of which a record must match; none: every record. */
  filterPatterns: string[];
}

/** A Firehose delivery stream of the template (the ingestion sink's), served locally by local/firehose. */
export interface DeliveryStreamModel {
  logicalId: string;
  /** The construct id: `DeliveryStream`. */
  id: string;
}

export interface AppModel {
  apiLogicalId: string;
  routeSelectionExpression: string;
  stageName: string;
  routes: RouteModel[];
  /** The Lambda REQUEST authorizer on `$connect`, if any. */
  authorizer?: AuthorizerModel;
  functions: Record<string, FunctionModel>;
  tables: TableModel[];
  schedules: ScheduleModel[];
  queues: QueueModel[];
  eventSourceMappings: EventSourceMappingModel[];
  /** The mappings on DynamoDB streams (the SQS ones are {@link eventSourceMappings}). */
  streamEventSourceMappings: StreamEventSourceMappingModel[];
  deliveryStreams: DeliveryStreamModel[];
}

/** The template holds something the local runtime cannot run faithfully. */
export class AppModelError extends Error {
  override readonly name = 'AppModelError';
}

const FUNCTION = 'AWS::Lambda::Function';
const TABLE_TYPES = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'];
const QUEUE = 'AWS::SQS::Queue';
const DELIVERY_STREAM = 'AWS::KinesisFirehose::DeliveryStream';
const DEFAULT_STREAM_BATCH_SIZE = 100;
/** SQS's and Lambda's defaults when the template leaves them out. */
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
const DEFAULT_RETENTION_SECONDS = 345_600;
const DEFAULT_SQS_BATCH_SIZE = 10;
/** Lambda's defaults when the template leaves them out. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;

/**
 * Reads the {@link AppModel} from a synthesized template (see local/template/synth.ts).
 * `assemblyDir`: the cloud assembly the template belongs to; the functions' asset paths
 * (relative in the template) are resolved against it.
 */
export function readAppModel(template: CfnTemplate, options: { assemblyDir?: string } = {}): AppModel {
  const resources = template.Resources;
  const functions = readFunctions(resources, options.assemblyDir);
  const functionIdOf = (logicalId: string, what: string): string => {
    const fn = Object.values(functions).find((f) => f.logicalId === logicalId);
    if (!fn) throw new AppModelError(`${what} targets ${logicalId}, which is not a Lambda function of the template`);
    return fn.functionId;
  };

  const [apiLogicalId, api] = onlyOne(resources, (r) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.ProtocolType === 'WEBSOCKET', 'WebSocket API');
  const ofApi = (r: CfnResource) => refOf(r.Properties?.ApiId) === apiLogicalId;
  const [, stage] = onlyOne(resources, (r) => r.Type === 'AWS::ApiGatewayV2::Stage' && ofApi(r), `stage of ${apiLogicalId}`);
  const stageName = str(stage, 'StageName', 'stage');

  const routes: RouteModel[] = [];
  let authorizer: AuthorizerModel | undefined;
  for (const [logicalId, route] of entries(resources, 'AWS::ApiGatewayV2::Route').filter(([, r]) => ofApi(r))) {
    const routeKey = str(route, 'RouteKey', logicalId);
    const integrationId = integrationOf(route.Properties?.Target, logicalId);
    const integration = resources[integrationId];
    if (integration?.Type !== 'AWS::ApiGatewayV2::Integration') throw new AppModelError(`route ${routeKey}: ${integrationId} is not an integration`);
    if (integration.Properties?.IntegrationType !== 'AWS_PROXY') {
      throw new AppModelError(`route ${routeKey}: only Lambda proxy integrations run locally, got ${String(integration.Properties?.IntegrationType)}`);
    }
    routes.push({
      routeKey,
      functionId: functionIdOf(lambdaOfUri(integration.Properties.IntegrationUri, integrationId), `route ${routeKey}`),
      authorizationType: optionalStr(route, 'AuthorizationType', logicalId),
      routeResponseSelectionExpression: optionalStr(route, 'RouteResponseSelectionExpression', logicalId),
    });
    const authorizerId = refOf(route.Properties?.AuthorizerId);
    if (authorizerId !== undefined) {
      // API Gateway lets only $connect of a WebSocket API have an authorizer.
      if (routeKey !== '$connect') throw new AppModelError(`route ${routeKey} has an authorizer; WebSocket APIs allow one on $connect only`);
      authorizer = readAuthorizer(resources, authorizerId, functionIdOf);
    }
  }

  return {
    apiLogicalId,
    routeSelectionExpression: str(api, 'RouteSelectionExpression', apiLogicalId),
    stageName,
    routes,
    ...(authorizer ? { authorizer } : {}),
    functions: checkEnvironments(functions, resources, apiLogicalId, stageName),
    tables: TABLE_TYPES.flatMap((type) => entries(resources, type)).map(([logicalId, table]) => readTable(logicalId, table)),
    schedules: entries(resources, 'AWS::Events::Rule').flatMap(([logicalId, rule]) => readSchedules(logicalId, rule, functionIdOf)),
    queues: entries(resources, QUEUE).map(([logicalId, queue]) => readQueue(logicalId, queue, resources)),
    eventSourceMappings: entries(resources, 'AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => !isStreamMapping(mapping, resources))
      .flatMap(([logicalId, mapping]) => readEventSourceMapping(logicalId, mapping, resources, functionIdOf)),
    streamEventSourceMappings: entries(resources, 'AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => isStreamMapping(mapping, resources))
      .flatMap(([logicalId, mapping]) => readStreamMapping(logicalId, mapping, resources, functionIdOf)),
    deliveryStreams: entries(resources, DELIVERY_STREAM).map(([logicalId, stream]) => ({ logicalId, id: constructIdOf(cdkPathOf(logicalId, stream)) })),
  };
}

/**
 * A function's environment as plain strings for the local runtime: table references become
 * the local table names, the stage callback URL becomes the local management endpoint, and
 * literals stay. Anything else throws, naming the variable, so a new kind of value in the
 * template cannot reach a handler as `[object Object]` or go missing.
 */
export function resolveEnvironment(
  fn: FunctionModel,
  local: { tableNames: Record<string, string>; callbackUrl: string; queueUrls?: Record<string, string>; deliveryStreamNames?: Record<string, string> },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    if (fn.secretVariables?.includes(name)) continue;
    const kind = classifyEnvValue(value);
    switch (kind?.kind) {
      case 'literal':
        env[name] = kind.value;
        break;
      case 'table': {
        // A Ref is a table's name or, for an SQS queue, its URL, or a delivery stream's name.
        const queueUrl = local.queueUrls?.[kind.logicalId];
        if (queueUrl !== undefined) {
          env[name] = queueUrl;
          break;
        }
        const deliveryStream = local.deliveryStreamNames?.[kind.logicalId];
        if (deliveryStream !== undefined) {
          env[name] = deliveryStream;
          break;
        }
        const tableName = local.tableNames[kind.logicalId];
        if (tableName === undefined) throw new AppModelError(`${fn.functionId}: ${name} names table ${kind.logicalId}, which has no local table`);
        env[name] = tableName;
        break;
      }
      case 'callbackUrl':
        env[name] = local.callbackUrl;
        break;
      default:
        throw new AppModelError(`${fn.functionId}: cannot resolve ${name} locally: ${JSON.stringify(value)}`);
    }
  }
  return env;
}

type EnvKind =
  | { kind: 'literal'; value: string }
  | { kind: 'table'; logicalId: string }
  | { kind: 'callbackUrl'; apiLogicalId: string; stageName: string }
  | undefined;

/**
 * What an environment value is. The callback URL is what `WebSocketStage.callbackUrl` renders:
 * `{ 'Fn::Join': ['', ['https://', { Ref: Api }, '.execute-api.', { Ref: 'AWS::Region' }, '.',
 * { Ref: 'AWS::URLSuffix' }, '/dev']] }` (region and suffix may be literals in a stack with an env).
 * A `Ref` is a table only if readAppModel finds a table of that logical id.
 */
export function classifyEnvValue(value: EnvValue): EnvKind {
  if (typeof value === 'string') return { kind: 'literal', value };
  const ref = refOf(value);
  if (ref !== undefined) return ref.startsWith('AWS::') ? undefined : { kind: 'table', logicalId: ref };
  const parts = joinPartsOf(value);
  if (!parts) return undefined;
  // Render the join with `${Ref}` placeholders, then match the URL's shape as a whole.
  let rendered = '';
  for (const part of parts) {
    const partRef = refOf(part);
    if (typeof part === 'string') rendered += part;
    else if (partRef !== undefined) rendered += `\${${partRef}}`;
    else return undefined;
  }
  const match = /^https:\/\/\$\{([^}:]+)\}\.execute-api\.[^/]+\/([A-Za-z0-9_-]+)$/.exec(rendered);
  return match ? { kind: 'callbackUrl', apiLogicalId: match[1] as string, stageName: match[2] as string } : undefined;
}

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(2 hours)`, `rate(1 day)` → ms; anything else → undefined. */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  const unitMs = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[(match[2] as string).replace(/s$/, '') as 'minute' | 'hour' | 'day'];
  return count > 0 ? count * unitMs : undefined;
}

function readFunctions(resources: Record<string, CfnResource>, assemblyDir: string | undefined): Record<string, FunctionModel> {
  const functions: Record<string, FunctionModel> = {};
  for (const [logicalId, fn] of entries(resources, FUNCTION)) {
    const cdkPath = cdkPathOf(logicalId, fn);
    const functionId = constructIdOf(cdkPath);
    const existing = functions[functionId];
    if (existing) throw new AppModelError(`two functions have the id ${functionId}: ${existing.cdkPath} and ${cdkPath}`);
    const variables = (fn.Properties?.Environment as { Variables?: Record<string, EnvValue> } | undefined)?.Variables ?? {};
    const secretVariables = Object.entries(variables)
      .filter(([, value]) => {
        const ref = typeof value === 'string' ? undefined : refOf(value);
        return ref !== undefined && resources[ref]?.Type === 'AWS::SecretsManager::Secret';
      })
      .map(([name]) => name);
    functions[functionId] = {
      logicalId,
      functionId,
      cdkPath,
      timeoutSeconds: optionalNumber(fn, 'Timeout', logicalId) ?? DEFAULT_TIMEOUT_SECONDS,
      memoryMb: optionalNumber(fn, 'MemorySize', logicalId) ?? DEFAULT_MEMORY_MB,
      handler: str(fn, 'Handler', logicalId),
      runtime: str(fn, 'Runtime', logicalId),
      environment: { ...variables },
      ...(secretVariables.length > 0 ? { secretVariables } : {}),
      ...assetOf(fn, assemblyDir),
      ...loggingOf(fn),
    };
  }
  return functions;
}

function assetOf(fn: CfnResource, assemblyDir: string | undefined): Pick<FunctionModel, 'asset'> {
  const path = fn.Metadata?.['aws:asset:path'];
  if (typeof path !== 'string') return {};
  return { asset: { path: assemblyDir === undefined || isAbsolute(path) ? path : resolve(assemblyDir, path), bundled: fn.Metadata?.['aws:asset:is-bundled'] === true } };
}

function loggingOf(fn: CfnResource): Pick<FunctionModel, 'logging'> {
  const config = fn.Properties?.LoggingConfig;
  if (!isObject(config)) return {};
  return {
    logging: {
      ...(typeof config.LogFormat === 'string' ? { format: config.LogFormat } : {}),
      ...(typeof config.ApplicationLogLevel === 'string' ? { applicationLogLevel: config.ApplicationLogLevel } : {}),
    },
  };
}

/** Fails at model time, not at the first frame, if a function's environment cannot be resolved locally. */
function checkEnvironments(
  functions: Record<string, FunctionModel>,
  resources: Record<string, CfnResource>,
  apiLogicalId: string,
  stageName: string,
): Record<string, FunctionModel> {
  for (const fn of Object.values(functions)) {
    for (const [name, value] of Object.entries(fn.environment)) {
      if (fn.secretVariables?.includes(name)) continue;
      const kind = classifyEnvValue(value);
      const problem =
        kind === undefined
          ? `a value the local runtime cannot resolve: ${JSON.stringify(value)}`
          : kind.kind === 'table' && ![...TABLE_TYPES, QUEUE, DELIVERY_STREAM].includes(resources[kind.logicalId]?.Type ?? '')
            ? `a Ref to ${kind.logicalId}, which is neither a table, a queue nor a delivery stream`
            : kind.kind === 'callbackUrl' && (kind.apiLogicalId !== apiLogicalId || kind.stageName !== stageName)
              ? `the callback URL of ${kind.apiLogicalId}/${kind.stageName}, not of ${apiLogicalId}/${stageName}`
              : undefined;
      if (problem) throw new AppModelError(`${fn.functionId}: ${name} is ${problem}`);
    }
  }
  return functions;
}

function readAuthorizer(resources: Record<string, CfnResource>, logicalId: string, functionIdOf: (id: string, what: string) => string): AuthorizerModel {
  const authorizer = resources[logicalId];
  if (authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer') throw new AppModelError(`$connect: ${logicalId} is not an authorizer`);
  const type = authorizer.Properties?.AuthorizerType;
  if (type !== 'REQUEST') throw new AppModelError(`$connect: only REQUEST (Lambda) authorizers run locally, got ${String(type)}`);
  const identitySource = authorizer.Properties?.IdentitySource ?? [];
  if (!Array.isArray(identitySource) || !identitySource.every((s) => typeof s === 'string')) {
    throw new AppModelError(`authorizer ${logicalId}: IdentitySource must be a list of strings`);
  }
  return {
    functionId: functionIdOf(lambdaOfUri(authorizer.Properties?.AuthorizerUri, logicalId), `authorizer ${logicalId}`),
    identitySource,
    type,
  };
}

function readTable(logicalId: string, table: CfnResource): TableModel {
  const props = table.Properties ?? {};
  if (props.LocalSecondaryIndexes !== undefined) throw new AppModelError(`table ${logicalId}: local secondary indexes are not supported locally yet`);
  const ttl = props.TimeToLiveSpecification;
  const ttlAttribute = isObject(ttl) && ttl.Enabled === true && typeof ttl.AttributeName === 'string' ? ttl.AttributeName : undefined;
  const indexes = (props.GlobalSecondaryIndexes ?? []) as Array<Record<string, unknown>>;
  return {
    logicalId,
    id: constructIdOf(cdkPathOf(logicalId, table)),
    keySchema: keySchemaOf(props.KeySchema, logicalId),
    attributeDefinitions: ((props.AttributeDefinitions ?? []) as Array<Record<string, unknown>>).map((a) => ({
      attributeName: String(a.AttributeName),
      attributeType: oneOf(a.AttributeType, ['S', 'N', 'B'] as const, `${logicalId} attribute type`),
    })),
    globalSecondaryIndexes: indexes.map((index) => {
      const projection = (index.Projection ?? {}) as Record<string, unknown>;
      const nonKeyAttributes = projection.NonKeyAttributes as string[] | undefined;
      return {
        indexName: String(index.IndexName),
        keySchema: keySchemaOf(index.KeySchema, `${logicalId}/${String(index.IndexName)}`),
        projection: {
          // DynamoDB's default when a projection leaves the type out.
          projectionType: oneOf(projection.ProjectionType ?? 'KEYS_ONLY', ['ALL', 'KEYS_ONLY', 'INCLUDE'] as const, `${logicalId} projection`),
          ...(nonKeyAttributes ? { nonKeyAttributes: [...nonKeyAttributes] } : {}),
        },
      };
    }),
    ...(ttlAttribute !== undefined ? { ttlAttribute } : {}),
    ...(isObject(props.StreamSpecification)
      ? { streamViewType: oneOf(props.StreamSpecification.StreamViewType, ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'] as const, `${logicalId} stream view type`) }
      : {}),
  };
}

function readQueue(logicalId: string, queue: CfnResource, resources: Record<string, CfnResource>): QueueModel {
  if (queue.Properties?.FifoQueue === true) throw new AppModelError(`queue ${logicalId}: FIFO queues are not run locally`);
  const redrive = queue.Properties?.RedrivePolicy as Record<string, unknown> | undefined;
  let redriveModel: QueueModel['redrive'];
  if (redrive !== undefined) {
    const att = getAttOf(redrive.deadLetterTargetArn);
    if (!att || att[1] !== 'Arn' || resources[att[0]]?.Type !== QUEUE) throw new AppModelError(`queue ${logicalId}: its dead-letter target is not a queue of the template`);
    const maxReceiveCount = Number(redrive.maxReceiveCount);
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) throw new AppModelError(`queue ${logicalId}: maxReceiveCount must be a positive integer`);
    redriveModel = { deadLetterQueueLogicalId: att[0], maxReceiveCount };
  }
  return {
    logicalId,
    id: constructIdOf(cdkPathOf(logicalId, queue)),
    visibilityTimeoutSeconds: optionalNumber(queue, 'VisibilityTimeout', logicalId) ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    messageRetentionSeconds: optionalNumber(queue, 'MessageRetentionPeriod', logicalId) ?? DEFAULT_RETENTION_SECONDS,
    ...(redriveModel ? { redrive: redriveModel } : {}),
  };
}

function readEventSourceMapping(
  logicalId: string,
  mapping: CfnResource,
  resources: Record<string, CfnResource>,
  functionIdOf: (id: string, what: string) => string,
): EventSourceMappingModel[] {
  const props = mapping.Properties ?? {};
  // A disabled mapping polls nothing in AWS either.
  if (props.Enabled === false) return [];
  const att = getAttOf(props.EventSourceArn);
  if (!att || att[1] !== 'Arn' || resources[att[0]]?.Type !== QUEUE) throw new AppModelError(`event source mapping ${logicalId}: only SQS queues of the template run locally`);
  const fnRef = refOf(props.FunctionName);
  if (fnRef === undefined) throw new AppModelError(`event source mapping ${logicalId}: FunctionName must be a Ref to a function of the template`);
  const types = (props.FunctionResponseTypes ?? []) as unknown[];
  const maximumConcurrency = (props.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency;
  if (maximumConcurrency !== undefined && typeof maximumConcurrency !== 'number') throw new AppModelError(`event source mapping ${logicalId}: MaximumConcurrency must be a literal number`);
  return [
    {
      queueLogicalId: att[0],
      functionId: functionIdOf(fnRef, `event source mapping ${logicalId}`),
      batchSize: optionalNumber(mapping, 'BatchSize', logicalId) ?? DEFAULT_SQS_BATCH_SIZE,
      ...(maximumConcurrency !== undefined ? { maximumConcurrency } : {}),
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
    },
  ];
}

/** A mapping whose source is a table's stream (`Fn::GetAtt [Table, StreamArn]`). */
function isStreamMapping(mapping: CfnResource, resources: Record<string, CfnResource>): boolean {
  const att = getAttOf(mapping.Properties?.EventSourceArn);
  return att !== undefined && att[1] === 'StreamArn' && TABLE_TYPES.includes(resources[att[0]]?.Type ?? '');
}

function readStreamMapping(
  logicalId: string,
  mapping: CfnResource,
  resources: Record<string, CfnResource>,
  functionIdOf: (id: string, what: string) => string,
): StreamEventSourceMappingModel[] {
  const props = mapping.Properties ?? {};
  if (props.Enabled === false) return [];
  const att = getAttOf(props.EventSourceArn) as [string, string];
  const fnRef = refOf(props.FunctionName);
  if (fnRef === undefined) throw new AppModelError(`event source mapping ${logicalId}: FunctionName must be a Ref to a function of the template`);
  const startingPosition = oneOf(props.StartingPosition, ['TRIM_HORIZON', 'LATEST'] as const, `event source mapping ${logicalId} StartingPosition`);
  const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
  let onFailureQueueLogicalId: string | undefined;
  if (onFailure !== undefined) {
    const target = getAttOf(onFailure);
    if (!target || target[1] !== 'Arn' || resources[target[0]]?.Type !== QUEUE) throw new AppModelError(`event source mapping ${logicalId}: its on-failure destination is not a queue of the template`);
    onFailureQueueLogicalId = target[0];
  }
  const filters = ((props.FilterCriteria as { Filters?: Array<{ Pattern?: unknown }> } | undefined)?.Filters ?? []).map((f) => {
    if (typeof f.Pattern !== 'string') throw new AppModelError(`event source mapping ${logicalId}: a filter Pattern must be a literal JSON string`);
    return f.Pattern;
  });
  const types = (props.FunctionResponseTypes ?? []) as unknown[];
  return [
    {
      logicalId,
      tableLogicalId: att[0],
      functionId: functionIdOf(fnRef, `event source mapping ${logicalId}`),
      batchSize: optionalNumber(mapping, 'BatchSize', logicalId) ?? DEFAULT_STREAM_BATCH_SIZE,
      batchingWindowSeconds: optionalNumber(mapping, 'MaximumBatchingWindowInSeconds', logicalId) ?? 0,
      startingPosition,
      retryAttempts: optionalNumber(mapping, 'MaximumRetryAttempts', logicalId) ?? -1,
      bisectOnError: props.BisectBatchOnFunctionError === true,
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      ...(onFailureQueueLogicalId !== undefined ? { onFailureQueueLogicalId } : {}),
      filterPatterns: filters,
    },
  ];
}

function readSchedules(logicalId: string, rule: CfnResource, functionIdOf: (id: string, what: string) => string): ScheduleModel[] {
  const expression = rule.Properties?.ScheduleExpression;
  // Event-pattern rules are not schedules; a disabled rule fires nothing in AWS either.
  if (typeof expression !== 'string' || rule.Properties?.State === 'DISABLED') return [];
  const targets = (rule.Properties?.Targets ?? []) as Array<Record<string, unknown>>;
  return targets.map((target) => {
    const att = getAttOf(target.Arn);
    if (!att || att[1] !== 'Arn') throw new AppModelError(`rule ${logicalId}: target ${String(target.Id)} is not a function of the template`);
    const intervalMs = rateIntervalMs(expression);
    if (intervalMs === undefined && !expression.startsWith('cron(')) throw new AppModelError(`rule ${logicalId}: cannot read the schedule ${expression}`);
    return { functionId: functionIdOf(att[0], `rule ${logicalId}`), expression, ...(intervalMs !== undefined ? { intervalMs } : {}) };
  });
}

/** `Fn::Join ['', ['integrations/', { Ref: Integration }]]` → the integration's logical id. */
function integrationOf(target: unknown, routeLogicalId: string): string {
  const parts = joinPartsOf(target);
  const integrationId = parts?.length === 2 && parts[0] === 'integrations/' ? refOf(parts[1]) : undefined;
  if (integrationId === undefined) throw new AppModelError(`route ${routeLogicalId}: cannot read its Target ${JSON.stringify(target)}`);
  return integrationId;
}

/** `arn:...:lambda:path/2015-03-31/functions/${Fn::GetAtt [Fn, Arn]}/invocations` → the function's logical id. */
function lambdaOfUri(uri: unknown, owner: string): string {
  const found = (joinPartsOf(uri) ?? []).map(getAttOf).filter((att) => att?.[1] === 'Arn');
  if (found.length !== 1 || !found[0]) throw new AppModelError(`${owner}: cannot find the Lambda function in ${JSON.stringify(uri)}`);
  return found[0][0];
}

function cdkPathOf(logicalId: string, resource: CfnResource): string {
  const path = resource.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') {
    throw new AppModelError(`${logicalId} has no aws:cdk:path metadata: synthesize with context aws:cdk:enable-path-metadata (lib/app.ts sets it)`);
  }
  return path;
}

/** `Qosgate/RouteFunctions/Publish/Resource` → `Publish`: the id the construct was given. */
function constructIdOf(cdkPath: string): string {
  const segments = cdkPath.split('/');
  const id = segments.at(-1) === 'Resource' ? segments.at(-2) : segments.at(-1);
  if (!id) throw new AppModelError(`cannot read a construct id from ${cdkPath}`);
  return id;
}

function keySchemaOf(value: unknown, owner: string): KeyElement[] {
  if (!Array.isArray(value) || value.length === 0) throw new AppModelError(`${owner}: missing KeySchema`);
  return (value as Array<Record<string, unknown>>).map((k) => ({
    attributeName: String(k.AttributeName),
    keyType: oneOf(k.KeyType, ['HASH', 'RANGE'] as const, `${owner} key type`),
  }));
}

function entries(resources: Record<string, CfnResource>, type: string): Array<[string, CfnResource]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

function onlyOne(resources: Record<string, CfnResource>, match: (r: CfnResource) => boolean, what: string): [string, CfnResource] {
  const found = Object.entries(resources).filter(([, r]) => match(r));
  if (found.length !== 1 || !found[0]) throw new AppModelError(`expected exactly one ${what}, found ${found.length}`);
  return found[0];
}

function str(resource: CfnResource, key: string, owner: string): string {
  const value = resource.Properties?.[key];
  if (typeof value !== 'string') throw new AppModelError(`${owner}: ${key} must be a literal string, got ${JSON.stringify(value)}`);
  return value;
}

function optionalStr(resource: CfnResource, key: string, owner: string): string | undefined {
  return resource.Properties?.[key] === undefined ? undefined : str(resource, key, owner);
}

function optionalNumber(resource: CfnResource, key: string, owner: string): number | undefined {
  const value = resource.Properties?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new AppModelError(`${owner}: ${key} must be a literal number, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf<const T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value as T)) throw new AppModelError(`${what}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
