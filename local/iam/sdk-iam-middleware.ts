import { evaluate, type Decision, type PolicyStatement } from './evaluate.js';

/**
 * Each function's IAM policy, enforced on the AWS SDK v3 clients it is handed, the way AWS
 * enforces it at the service: one middleware looks at the signed HTTP request (so the base
 * DynamoDBClient, lib-dynamodb's DocumentClient, SQS, the `@connections` management API and
 * Secrets Manager are all read the same way, whatever command class built the request), works
 * out every IAM action and resource the request needs, and either lets it go or answers it
 * itself with the error response the service would send. The SDK's own deserializer then builds
 * the error, so a refusal is exactly what the function would get on AWS: `name`
 * `AccessDeniedException`, `$metadata.httpStatusCode` 400 (403 for the management API), AWS's
 * message. A refused request never leaves the process.
 *
 *   client.send(cmd) ─▶ serialize ─▶ build ─▶ finalizeRequest (retry, sign) ─▶ deserialize
 *                                                                              │ schema deserializer
 *                                                                              ▼
 *                                                          [this middleware, innermost]
 *                                                   allowed ─▶ HTTP to DynamoDB Local / SQS / gateway
 *                                                   refused ─▶ 400/403 answered here
 *
 * It sits in the `deserialize` step at low priority, i.e. inside the deserializer, rather than in
 * `build`: only there can an answered response still go through the SDK's own error parsing.
 *
 * Which action a request needs (how AWS authorizes it):
 *   DynamoDB (`X-Amz-Target: DynamoDB_20120810.<Op>`): `dynamodb:<Op>` on the table of TableName
 *     (+ `/index/<IndexName>` for Query and Scan); BatchGetItem and BatchWriteItem on every table
 *     of RequestItems; TransactWriteItems per item: PutItem, UpdateItem, DeleteItem or
 *     ConditionCheckItem on its table; TransactGetItems: GetItem per item
 *     (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 *   SQS (`X-Amz-Target: AmazonSQS.<Op>`): `sqs:<Op>` on the queue of QueueUrl; a batch operation
 *     needs its single action (SendMessageBatch: sqs:SendMessage).
 *   Management API (`POST|GET|DELETE /<stage>/@connections/<id>`): `execute-api:ManageConnections`
 *     on `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/@connections/<id>`.
 *   Secrets Manager (`X-Amz-Target: secretsmanager.<Op>`): `secretsmanager:<Op>` on SecretId.
 *   Firehose (`X-Amz-Target: Firehose_20150804.<Op>`): `firehose:<Op>` on
 *     `arn:aws:firehose:<region>:<account>:deliverystream/<DeliveryStreamName>`.
 * A request it cannot place (another service) is refused with an error saying so: never let through.
 *
 * This module imports nothing at run time but ./evaluate.ts (no SDK, no Node builtins), so a
 * plain Node process can load it bundled (test/local/iam/sdk-iam-middleware.test.ts bundles it).
 */

/** A function's effective identity-based policy, as JSON: what a worker process is handed. */
export interface FunctionPolicy {
  /** The route-table id (`Publish`). */
  functionId: string;
  /** Who the function acts as: `arn:aws:sts::<account>:assumed-role/<roleName>/<sessionName>`. */
  roleName: string;
  sessionName: string;
  accountId: string;
  region: string;
  /** The API id of this stack's WebSocket API as the local runtime names it (ARNs of execute-api). */
  apiId: string;
  /** Every statement of the role's policies, intrinsics resolved to local names. */
  statements: PolicyStatement[];
}

/** One action on one resource that a request needs. */
export interface RequiredPermission {
  action: string;
  resource: string;
}

/** The SDK's HTTP request as the middleware sees it (@smithy/protocol-http's HttpRequest). */
export interface SdkHttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the middleware needs of an SDK v3 client's stack (every client and the DocumentClient have one). */
interface MiddlewareStackLike {
  add(middleware: unknown, options: { step: 'deserialize'; name: string; priority: 'low'; tags?: string[] }): void;
}

/** The middleware's name in the client's stack. */
export const IAM_MIDDLEWARE_NAME = 'qosgateLocalIam';

/** The request could not be placed under any IAM action, so it is not sent (never a silent allow). */
export class UnknownRequestError extends Error {
  override readonly name = 'UnknownRequestError';
}

/** The policy each middleware stack enforces: a DocumentClient shares its base client's stack. */
const enforced = new WeakMap<object, FunctionPolicy>();

/**
 * Adds the enforcing middleware to `client` (and so to every DocumentClient made from it) and
 * returns the same client. Idempotent for one policy: a DocumentClient shares its base client's
 * stack, and a host that hooks every client it sees may hook both. A second, different policy on
 * one stack is refused: two policies on one client would be neither function's.
 */
export function enforceIam<C extends { middlewareStack: object }>(client: C, policy: FunctionPolicy): C {
  const stack = client.middlewareStack as Partial<MiddlewareStackLike>;
  if (typeof stack.add !== 'function') throw new TypeError(`qosgate local IAM: ${policy.functionId}: not an AWS SDK v3 client (no middlewareStack.add)`);
  const already = enforced.get(stack);
  if (already !== undefined) {
    if (already === policy || JSON.stringify(already) === JSON.stringify(policy)) return client;
    throw new Error(`qosgate local IAM: this client already enforces the policy of ${already.functionId}; one client per function (${policy.functionId})`);
  }
  const middleware =
    (next: (args: { request: unknown }) => Promise<unknown>) =>
    async (args: { request: unknown }): Promise<unknown> => {
      const request = args.request as SdkHttpRequest;
      const refusal = refusalOf(request, policy);
      return refusal ? { response: refusal } : next(args);
    };
  stack.add(middleware, { step: 'deserialize', name: IAM_MIDDLEWARE_NAME, priority: 'low', tags: ['QOSGATE_LOCAL_IAM'] });
  enforced.set(stack, policy);
  return client;
}

/**
 * The worker bootstrap's entry (local/lambda, bundled mode): called on every SDK client created
 * in a function's process, with the function's {@link FunctionPolicy} as JSON.
 */
export function hookClient<C extends { middlewareStack: object }>(client: C, policy: FunctionPolicy): C {
  return enforceIam(client, policy);
}

/** The principal's ARN as STS names a Lambda function's role session. */
export function principalArn(policy: Pick<FunctionPolicy, 'accountId' | 'roleName' | 'sessionName'>): string {
  return `arn:aws:sts::${policy.accountId}:assumed-role/${policy.roleName}/${policy.sessionName}`;
}

/** An HTTP response object the SDK's deserializer reads as it reads one from the wire. */
export interface AnsweredResponse {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The service's refusal of `request`, or undefined when the policy allows all it needs. */
export function refusalOf(request: SdkHttpRequest, policy: FunctionPolicy): AnsweredResponse | undefined {
  const service = serviceOf(request);
  for (const needed of requiredPermissions(request, policy, service)) {
    const decision = evaluate(policy.statements, needed.action, needed.resource);
    if (!decision.allowed) return refusalResponse(service, needed, decision, policy);
  }
  return undefined;
}

type Service = 'dynamodb' | 'sqs' | 'secretsmanager' | 'firehose' | 'execute-api';

function serviceOf(request: SdkHttpRequest): Service {
  const target = header(request, 'x-amz-target') ?? '';
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  if (target.startsWith('AmazonSQS.')) return 'sqs';
  if (target.startsWith('secretsmanager.')) return 'secretsmanager';
  if (target.startsWith('Firehose_')) return 'firehose';
  if (/\/(?:@|%40)connections\//i.test(request.path)) return 'execute-api';
  throw new UnknownRequestError(`qosgate local IAM: cannot tell which service ${request.method} ${request.path} (X-Amz-Target ${target || 'none'}) is for, so it is not sent`);
}

/** Every permission `request` needs, in the order AWS would check them. */
export function requiredPermissions(request: SdkHttpRequest, policy: FunctionPolicy, service: Service = serviceOf(request)): RequiredPermission[] {
  switch (service) {
    case 'dynamodb':
      return dynamoDbPermissions(operationOf(request), jsonBody(request), policy);
    case 'sqs':
      return sqsPermissions(operationOf(request), jsonBody(request), policy);
    case 'secretsmanager':
      return secretsManagerPermissions(operationOf(request), jsonBody(request), policy);
    case 'firehose':
      return firehosePermissions(operationOf(request), jsonBody(request), policy);
    case 'execute-api':
      return [{ action: 'execute-api:ManageConnections', resource: managementResource(request, policy) }];
  }
}

const TRANSACT_WRITE_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
/** DynamoDB operations that name no table (IAM's resource is then `*`). */
const DYNAMODB_ACCOUNT_OPERATIONS = new Set(['ListTables', 'DescribeLimits', 'DescribeEndpoints', 'ListBackups', 'ListGlobalTables', 'ListExports', 'ListImports']);

function dynamoDbPermissions(operation: string, body: Record<string, unknown>, policy: FunctionPolicy): RequiredPermission[] {
  const table = (name: unknown) => tableArn(name, policy, operation);
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(objectOf(body.RequestItems)).map((name) => ({ action: `dynamodb:${operation}`, resource: table(name) }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return arrayOf(body.TransactItems).flatMap((item) =>
        Object.entries(objectOf(item)).map(([kind, value]) => {
          const action = operation === 'TransactGetItems' ? 'GetItem' : TRANSACT_WRITE_ACTIONS[kind];
          if (action === undefined) throw new UnknownRequestError(`qosgate local IAM: a ${operation} item of kind ${kind} is not one IAM knows`);
          return { action: `dynamodb:${action}`, resource: table(objectOf(value).TableName) };
        }),
      );
    case 'Query':
    case 'Scan': {
      const index = body.IndexName;
      return [{ action: `dynamodb:${operation}`, resource: typeof index === 'string' ? `${table(body.TableName)}/index/${index}` : table(body.TableName) }];
    }
    default:
      if (DYNAMODB_ACCOUNT_OPERATIONS.has(operation)) return [{ action: `dynamodb:${operation}`, resource: '*' }];
      return [{ action: `dynamodb:${operation}`, resource: table(body.TableName ?? body.ResourceArn) }];
  }
}

/** SQS authorizes a batch by its single action (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html). */
const SQS_BATCH_ACTIONS: Record<string, string> = { SendMessageBatch: 'SendMessage', DeleteMessageBatch: 'DeleteMessage', ChangeMessageVisibilityBatch: 'ChangeMessageVisibility' };

function sqsPermissions(operation: string, body: Record<string, unknown>, policy: FunctionPolicy): RequiredPermission[] {
  const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
  if (operation === 'ListQueues') return [{ action, resource: '*' }];
  if (typeof body.QueueUrl === 'string') return [{ action, resource: queueArn(body.QueueUrl, policy) }];
  if (typeof body.QueueName === 'string') return [{ action, resource: `arn:aws:sqs:${policy.region}:${policy.accountId}:${body.QueueName}` }];
  throw new UnknownRequestError(`qosgate local IAM: SQS ${operation} names no queue`);
}

function secretsManagerPermissions(operation: string, body: Record<string, unknown>, policy: FunctionPolicy): RequiredPermission[] {
  const id = body.SecretId;
  const resource = typeof id !== 'string' ? '*' : id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${policy.region}:${policy.accountId}:secret:${id}`;
  return [{ action: `secretsmanager:${operation}`, resource }];
}

function firehosePermissions(operation: string, body: Record<string, unknown>, policy: FunctionPolicy): RequiredPermission[] {
  const name = body.DeliveryStreamName;
  if (operation === 'ListDeliveryStreams') return [{ action: `firehose:${operation}`, resource: '*' }];
  if (typeof name !== 'string' || name === '') throw new UnknownRequestError(`qosgate local IAM: Firehose ${operation} names no delivery stream`);
  return [{ action: `firehose:${operation}`, resource: `arn:aws:firehose:${policy.region}:${policy.accountId}:deliverystream/${name}` }];
}

/** `/dev/@connections/abc%3D` -> `arn:aws:execute-api:<region>:<account>:<apiId>/dev/POST/@connections/abc=`. */
function managementResource(request: SdkHttpRequest, policy: FunctionPolicy): string {
  const match = /^(.*?)\/(?:@|%40)connections\/([^/?]+)/i.exec(request.path);
  if (!match) throw new UnknownRequestError(`qosgate local IAM: ${request.path} is not a @connections path`);
  const stage = (match[1] ?? '').replace(/^\/+/, '');
  return `arn:aws:execute-api:${policy.region}:${policy.accountId}:${policy.apiId}/${stage}/${request.method.toUpperCase()}/@connections/${safeDecode(match[2] ?? '')}`;
}

function tableArn(name: unknown, policy: FunctionPolicy, operation: string): string {
  if (typeof name !== 'string' || name === '') throw new UnknownRequestError(`qosgate local IAM: DynamoDB ${operation} names no table`);
  // DynamoDB takes a table's ARN wherever it takes its name.
  return name.startsWith('arn:') ? name : `arn:aws:dynamodb:${policy.region}:${policy.accountId}:table/${name}`;
}

/** `http://127.0.0.1:PORT/000000000000/FanoutQueue` -> `arn:aws:sqs:<region>:000000000000:FanoutQueue`. */
function queueArn(queueUrl: string, policy: FunctionPolicy): string {
  const [account, name] = queueUrl.replace(/^[a-z]+:\/\/[^/]+/i, '').split('/').filter(Boolean).slice(-2);
  if (!name) throw new UnknownRequestError(`qosgate local IAM: cannot read a queue from ${queueUrl}`);
  return `arn:aws:sqs:${policy.region}:${account ?? policy.accountId}:${name}`;
}

function operationOf(request: SdkHttpRequest): string {
  const target = header(request, 'x-amz-target') ?? '';
  return target.slice(target.indexOf('.') + 1);
}

/**
 * The refusal as each service sends it:
 *   DynamoDB  400 `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":...}`
 *   SQS       400 the same `__type` with `message`, and `x-amzn-query-error: AccessDenied;Sender`
 *             (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html);
 *             the SDK's query-compatible parsing names that error `AccessDenied`, as on AWS
 *             ("An error occurred (AccessDenied) when calling the SendMessage operation: ...")
 *   Secrets Manager, Firehose 400 as DynamoDB's (JSON 1.1)
 *   execute-api 403 `x-amzn-ErrorType: AccessDeniedException`, `{"Message":...}`; API Gateway
 *             masks the account in the resource but its last four digits.
 * The message is IAM's: `User: <principal> is not authorized to perform: <action> on resource:
 * <arn> because no identity-based policy allows the <action> action` (or `with an explicit deny
 * in an identity-based policy`).
 */
function refusalResponse(service: Service, needed: RequiredPermission, decision: Extract<Decision, { allowed: false }>, policy: FunctionPolicy): AnsweredResponse {
  const requestId = globalThis.crypto.randomUUID();
  const why =
    decision.reason === 'explicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${needed.action} action`;
  if (service === 'execute-api') {
    const masked = needed.resource.replace(`:${policy.accountId}:`, `:********${policy.accountId.slice(-4)}:`);
    const message = `User: ${principalArn(policy)} is not authorized to perform: ${needed.action} on resource: ${masked} ${why}`;
    return answer(403, 'Forbidden', { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': requestId }, { Message: message });
  }
  // SQS writes the action in lower case (`sqs:sendmessage`), as its real refusals show.
  const action = service === 'sqs' ? needed.action.toLowerCase() : needed.action;
  const because = decision.reason === 'explicitDeny' ? why : `because no identity-based policy allows the ${action} action`;
  const message = `User: ${principalArn(policy)} is not authorized to perform: ${action} on resource: ${needed.resource} ${because}`;
  const type = 'com.amazon.coral.service#AccessDeniedException';
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId };
  if (service === 'dynamodb') return answer(400, 'Bad Request', { ...headers, 'content-type': 'application/x-amz-json-1.0' }, { __type: type, Message: message });
  if (service === 'sqs') {
    return answer(400, 'Bad Request', { ...headers, 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender' }, { __type: type, message });
  }
  return answer(400, 'Bad Request', headers, { __type: type, Message: message });
}

function answer(statusCode: number, reason: string, headers: Record<string, string>, body: unknown): AnsweredResponse {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return { statusCode, reason, headers: { ...headers, 'content-length': String(bytes.length) }, body: bytes };
}

function jsonBody(request: SdkHttpRequest): Record<string, unknown> {
  const body = request.body;
  const text = typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : body === undefined ? '{}' : undefined;
  if (text === undefined) throw new UnknownRequestError(`qosgate local IAM: cannot read the body of ${operationOf(request)} (a stream), so it is not sent`);
  try {
    return objectOf(JSON.parse(text === '' ? '{}' : text));
  } catch {
    throw new UnknownRequestError(`qosgate local IAM: the body of ${operationOf(request)} is not JSON, so it is not sent`);
  }
}

function header(request: SdkHttpRequest, name: string): string | undefined {
  const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : request.headers[key];
}

function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
