import type { AppModel, FunctionModel } from '../template/app-model.js';
import { getAttOf, isObject, refOf, type CfnResource, type CfnTemplate } from '../template/cfn-template.js';
import type { PolicyStatement } from './evaluate.js';
import type { FunctionPolicy } from './sdk-iam-middleware.js';

/**
 * Each function's effective identity-based policy, read from the synthesized template (what
 * AWS will enforce), never from lambdas/routes.ts:
 *
 * ```
 *  AWS::Lambda::Function ──Role: Fn::GetAtt [Role, Arn]──▶ AWS::IAM::Role
 *     + the role's inline `Policies`
 *     + every AWS::IAM::Policy / AWS::IAM::ManagedPolicy whose `Roles` has { Ref: Role }
 *       (CDK's grants land in `<Fn>ServiceRoleDefaultPolicy…`)
 *     + its `ManagedPolicyArns`: the template's own managed policies, or AWS managed policies
 *       known here by name (AWSLambdaBasicExecutionRole: CloudWatch Logs only)
 * ```
 *
 * Intrinsics are resolved to the LOCAL names the functions really call: a table's ARN is
 * `arn:aws:dynamodb:<region>:000000000000:table/<local table name>`, a queue's
 * `arn:aws:sqs:<region>:000000000000:<local queue name>`, the API's id is {@link LOCAL_API_ID}; a
 * table's StreamArn is `<table ARN>/stream/*` (DynamoDB Local names the stream by its creation
 * time, known only once the table exists), a delivery stream's ARN
 * `arn:aws:firehose:<region>:000000000000:deliverystream/<local name>`.
 * Anything this cannot resolve, or a role feature it does not evaluate that could only narrow
 * what AWS allows (a permissions boundary, an unknown managed policy), is a {@link FunctionPolicyError}
 * at start naming the function and the statement: never a silent allow.
 *
 * Pure: no I/O.
 */

/** The account every local ARN is in (the local SQS engine's too). */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** The local gateway's API id (`requestContext.apiId`, the management API's ARNs). */
export const LOCAL_API_ID = 'local';

/** The local names the template's resources have. */
export interface LocalNames {
  region: string;
  /** Local table name by template logical id. */
  tableNames: Record<string, string>;
  /** Local queue name by template logical id. */
  queueNames: Record<string, string>;
  /** Local Firehose delivery stream name by template logical id (the local stand-in's, local/firehose). */
  deliveryStreamNames?: Record<string, string>;
  apiId?: string;
  accountId?: string;
}

/** The template holds a policy the local runtime cannot read faithfully. */
export class FunctionPolicyError extends Error {
  override readonly name = 'FunctionPolicyError';
}

/** AWS managed policies by name, as much of them as a Lambda role uses. */
const KNOWN_MANAGED_POLICIES: Record<string, PolicyStatement[]> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  AWSLambdaBasicExecutionRole: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: ['*'] }],
};

/** Every function's {@link FunctionPolicy}, by its route-table id. */
export function readFunctionPolicies(template: CfnTemplate, model: AppModel, local: LocalNames): Record<string, FunctionPolicy> {
  const names = { apiId: LOCAL_API_ID, accountId: LOCAL_ACCOUNT_ID, deliveryStreamNames: {}, ...local };
  const policies: Record<string, FunctionPolicy> = {};
  for (const fn of Object.values(model.functions)) policies[fn.functionId] = readFunctionPolicy(template, model, fn, names);
  return policies;
}

function readFunctionPolicy(template: CfnTemplate, model: AppModel, fn: FunctionModel, names: Required<LocalNames>): FunctionPolicy {
  const resources = template.Resources;
  const fail = (problem: string): never => {
    throw new FunctionPolicyError(`${fn.functionId}: ${problem}`);
  };
  const roleAtt = getAttOf(resources[fn.logicalId]?.Properties?.Role);
  const roleLogicalId = roleAtt?.[1] === 'Arn' && resources[roleAtt[0]]?.Type === 'AWS::IAM::Role' ? roleAtt[0] : undefined;
  if (roleLogicalId === undefined) return fail(`its Role is not a role of the template (${JSON.stringify(resources[fn.logicalId]?.Properties?.Role)}): its policies cannot be known locally`);
  const role = resources[roleLogicalId] as CfnResource;
  if (role.Properties?.PermissionsBoundary !== undefined) return fail(`its role ${roleLogicalId} has a permissions boundary, which the local runtime does not evaluate`);

  const resolver = new IntrinsicResolver(resources, model, names);
  const roleName = literalOr(role.Properties?.RoleName, roleLogicalId);
  const statements: PolicyStatement[] = [];
  const addDocument = (document: unknown, source: string) => statements.push(...readDocument(document, source, resolver, fail));

  for (const [i, inline] of arrayOf(role.Properties?.Policies).entries()) {
    addDocument(isObject(inline) ? inline.PolicyDocument : undefined, `inline policy ${i} of ${roleLogicalId}`);
  }
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    if (!arrayOf(resource.Properties?.Roles).some((r) => refOf(r) === roleLogicalId || r === roleName)) continue;
    addDocument(resource.Properties?.PolicyDocument, logicalId);
  }
  for (const arn of arrayOf(role.Properties?.ManagedPolicyArns)) {
    const ref = refOf(arn);
    if (ref !== undefined && resources[ref]?.Type === 'AWS::IAM::ManagedPolicy') {
      // Attached both ways (Roles and ManagedPolicyArns) it is still one policy.
      if (!arrayOf(resources[ref]?.Properties?.Roles).some((r) => refOf(r) === roleLogicalId)) addDocument(resources[ref]?.Properties?.PolicyDocument, ref);
      continue;
    }
    const resolved = resolver.resolve(arn, () => `a managed policy ARN of ${roleLogicalId}`, fail);
    const name = /^arn:aws[\w-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(resolved)?.[1];
    const known = name === undefined ? undefined : KNOWN_MANAGED_POLICIES[name];
    if (!known) return fail(`its role ${roleLogicalId} has the managed policy ${resolved}, whose statements the local runtime does not know`);
    statements.push(...known.map((s) => ({ ...s, Sid: `${name}` })));
  }

  return {
    functionId: fn.functionId,
    roleName,
    sessionName: literalOr(resources[fn.logicalId]?.Properties?.FunctionName, fn.functionId),
    accountId: names.accountId,
    region: names.region,
    apiId: names.apiId,
    statements,
  };
}

function readDocument(document: unknown, source: string, resolver: IntrinsicResolver, fail: (problem: string) => never): PolicyStatement[] {
  if (!isObject(document)) return fail(`${source} has no PolicyDocument`);
  const list = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return list.map((raw, i): PolicyStatement => {
    const where = () => `statement ${i}${isObject(raw) && typeof raw.Sid === 'string' ? ` (${raw.Sid})` : ''} of ${source}`;
    if (!isObject(raw)) return fail(`${where()} is not an object`);
    if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') return fail(`${where()} has the Effect ${JSON.stringify(raw.Effect)}`);
    const strings = (key: string, resolve: boolean): string[] | undefined => {
      const value = raw[key];
      if (value === undefined) return undefined;
      return (Array.isArray(value) ? value : [value]).map((v) => (resolve ? resolver.resolve(v, where, fail) : typeof v === 'string' ? v : fail(`${where()}: ${key} ${JSON.stringify(v)} is not a string`)));
    };
    const statement: PolicyStatement = { Effect: raw.Effect };
    if (typeof raw.Sid === 'string') statement.Sid = raw.Sid;
    const action = strings('Action', false);
    const notAction = strings('NotAction', false);
    const resource = strings('Resource', true);
    const notResource = strings('NotResource', true);
    if ((action === undefined) === (notAction === undefined)) return fail(`${where()} needs exactly one of Action and NotAction`);
    if ((resource === undefined) === (notResource === undefined)) return fail(`${where()} needs exactly one of Resource and NotResource`);
    if (action) statement.Action = action;
    if (notAction) statement.NotAction = notAction;
    if (resource) statement.Resource = resource;
    if (notResource) statement.NotResource = notResource;
    // Kept as written: conditions are not evaluated (evaluate.ts), only their presence counts.
    if (isObject(raw.Condition)) statement.Condition = raw.Condition;
    return statement;
  });
}

/** CloudFormation's intrinsics, as far as policies use them, resolved to local names. */
class IntrinsicResolver {
  constructor(
    private readonly resources: Record<string, CfnResource>,
    private readonly model: AppModel,
    private readonly names: Required<LocalNames>,
  ) {}

  resolve(value: unknown, where: () => string, fail: (problem: string) => never): string {
    const cannot = (): never => fail(`${where()}: cannot resolve ${JSON.stringify(value)} locally`);
    if (typeof value === 'string') return value;
    if (!isObject(value) || Object.keys(value).length !== 1) return cannot();
    const ref = refOf(value);
    if (ref !== undefined) return this.ref(ref) ?? cannot();
    const att = getAttOf(value);
    if (att) return this.getAtt(att[0], att[1]) ?? cannot();
    const join = value['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((part) => this.resolve(part, where, fail)).join(join[0]);
    }
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string' || (Array.isArray(sub) && sub.length === 2 && typeof sub[0] === 'string' && isObject(sub[1]))) {
      const [text, variables] = typeof sub === 'string' ? [sub, {}] : [sub[0] as string, sub[1] as Record<string, unknown>];
      return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang: string, name: string) => {
        if (bang === '!') return `\${${name}}`;
        if (name in variables) return this.resolve(variables[name], where, fail);
        const dot = name.indexOf('.');
        const resolved = dot === -1 ? this.ref(name) : this.getAtt(name.slice(0, dot), name.slice(dot + 1));
        return resolved ?? fail(`${where()}: cannot resolve ${whole} in ${JSON.stringify(value)} locally`);
      });
    }
    return cannot();
  }

  private ref(name: string): string | undefined {
    const { region, accountId, apiId, tableNames } = this.names;
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': region, 'AWS::AccountId': accountId, 'AWS::URLSuffix': 'amazonaws.com' };
    if (name in pseudo) return pseudo[name];
    const resource = this.resources[name];
    if (!resource) return undefined;
    if (name === this.model.apiLogicalId) return apiId;
    if (tableNames[name] !== undefined) return tableNames[name];
    if (resource.Type === 'AWS::IAM::Role') return literalOr(resource.Properties?.RoleName, name);
    if (resource.Type === 'AWS::Lambda::Function') return this.functionName(name);
    if (resource.Type === 'AWS::SecretsManager::Secret') return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}`;
    // Anything else (a queue's Ref is its URL, which no policy names) is not resolved.
    return undefined;
  }

  private getAtt(logicalId: string, attribute: string): string | undefined {
    const { region, accountId, tableNames, queueNames } = this.names;
    const resource = this.resources[logicalId];
    if (!resource) return undefined;
    const table = tableNames[logicalId];
    if (table !== undefined && attribute === 'Arn') return `arn:aws:dynamodb:${region}:${accountId}:table/${table}`;
    if (table !== undefined && attribute === 'StreamArn') return `arn:aws:dynamodb:${region}:${accountId}:table/${table}/stream/*`;
    const deliveryStream = this.names.deliveryStreamNames?.[logicalId];
    if (deliveryStream !== undefined && attribute === 'Arn') return `arn:aws:firehose:${region}:${accountId}:deliverystream/${deliveryStream}`;
    const queue = queueNames[logicalId];
    if (queue !== undefined && attribute === 'Arn') return `arn:aws:sqs:${region}:${accountId}:${queue}`;
    if (queue !== undefined && attribute === 'QueueName') return queue;
    if (resource.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return `arn:aws:lambda:${region}:${accountId}:function:${this.functionName(logicalId)}`;
    if (resource.Type === 'AWS::IAM::Role' && attribute === 'Arn') return `arn:aws:iam::${accountId}:role/${literalOr(resource.Properties?.RoleName, logicalId)}`;
    return undefined;
  }

  private functionName(logicalId: string): string {
    const fn = Object.values(this.model.functions).find((f) => f.logicalId === logicalId);
    return literalOr(this.resources[logicalId]?.Properties?.FunctionName, fn?.functionId ?? logicalId);
  }
}

function literalOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}
