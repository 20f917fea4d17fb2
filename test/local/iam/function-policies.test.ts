import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../../local/iam/evaluate.js';
import { FunctionPolicyError, readFunctionPolicies, type LocalNames } from '../../../local/iam/function-policies.js';
import type { FunctionPolicy } from '../../../local/iam/sdk-iam-middleware.js';
import { readAppModel, type AppModel } from '../../../local/template/app-model.js';
import type { CfnTemplate } from '../../../local/template/cfn-template.js';
import { synthTemplate } from '../../../local/template/synth.js';

/**
 * The policies read from the real synthesized template, resolved to local names. The facts
 * checked are the stack's grants as the template states them (lib/constructs), e.g. Unsubscribe
 * may not touch the retained table.
 */

const REGION = 'eu-west-1';
let template: CfnTemplate;
let model: AppModel;
let names: LocalNames;
let policies: Record<string, FunctionPolicy>;

const tableId = (id: string) => {
  const table = model.tables.find((t) => t.id === id);
  if (!table) throw new Error(`no table ${id}`);
  return table.logicalId;
};
const tableArn = (id: string) => `arn:aws:dynamodb:${REGION}:000000000000:table/local-${id}`;
const queueArn = (id: string) => `arn:aws:sqs:${REGION}:000000000000:${model.queues.find((q) => q.id === id)?.logicalId}`;
const may = (fn: string, action: string, resource: string) => evaluate((policies[fn] as FunctionPolicy).statements, action, resource).allowed;
const copy = (t: CfnTemplate): CfnTemplate => structuredClone(t);

beforeAll(() => {
  template = synthTemplate();
  model = readAppModel(template);
  names = {
    region: REGION,
    tableNames: Object.fromEntries(model.tables.map((t) => [t.logicalId, `local-${t.id}`])),
    queueNames: Object.fromEntries(model.queues.map((q) => [q.logicalId, q.logicalId])),
    deliveryStreamNames: Object.fromEntries(model.deliveryStreams.map((s) => [s.logicalId, s.logicalId])),
  };
  policies = readFunctionPolicies(template, model, names);
});

describe('readFunctionPolicies on the synthesized template', () => {
  it('reads a policy for every function, and every intrinsic in them resolves to a local ARN or *', () => {
    expect(Object.keys(policies).sort()).toEqual(Object.keys(model.functions).sort());
    for (const policy of Object.values(policies)) {
      expect(policy.statements.length).toBeGreaterThan(0);
      for (const statement of policy.statements) {
        for (const resource of [...(statement.Resource ?? []), ...(statement.NotResource ?? [])]) {
          expect(resource).toMatch(/^(\*|arn:aws:(dynamodb|sqs|execute-api|logs|firehose):eu-west-1:000000000000:\S+)$/);
        }
      }
    }
  });

  it('names the role and the function the way STS does, for the error messages', () => {
    const publish = policies.Publish as FunctionPolicy;
    const roleId = (template.Resources[model.functions.Publish?.logicalId as string]?.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    expect(publish).toMatchObject({ functionId: 'Publish', roleName: roleId, sessionName: 'Publish', accountId: '000000000000', region: REGION, apiId: 'local' });
  });

  it('lets Publish write the pending table and the fan-out queue, and nothing it was not granted', () => {
    expect(may('Publish', 'dynamodb:PutItem', tableArn('Pending'))).toBe(true);
    expect(may('Publish', 'dynamodb:Query', `${tableArn('Pending')}/index/byDue`)).toBe(true);
    expect(may('Publish', 'dynamodb:DeleteTable', tableArn('Pending'))).toBe(false);
    expect(may('Publish', 'dynamodb:PutItem', tableArn('DeadLetters'))).toBe(false);
    expect(may('Publish', 'sqs:SendMessage', queueArn('Queue'))).toBe(true);
    expect(may('Publish', 'sqs:SendMessage', queueArn('DeadLetterQueue'))).toBe(false);
    expect(may('Publish', 'sqs:ReceiveMessage', queueArn('Queue'))).toBe(false);
  });

  it('lets Subscribe read and write the retained table (a gone subscriber\'s will may be retained, PROTOCOL §9), Unsubscribe neither; Ping only reads connections', () => {
    expect(may('Subscribe', 'dynamodb:Query', tableArn('Retained'))).toBe(true);
    expect(may('Subscribe', 'dynamodb:PutItem', tableArn('Retained'))).toBe(true);
    expect(may('Unsubscribe', 'dynamodb:GetItem', tableArn('Retained'))).toBe(false);
    expect(may('Unsubscribe', 'dynamodb:PutItem', tableArn('Retained'))).toBe(false);
    expect(may('Ping', 'dynamodb:GetItem', tableArn('Connections'))).toBe(true);
    expect(may('Ping', 'dynamodb:UpdateItem', tableArn('Connections'))).toBe(false);
    expect(may('Ping', 'dynamodb:GetItem', tableArn('Pending'))).toBe(false);
  });

  it('lets the fan-out worker consume its queue, and Resume write dead letters without reading them', () => {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) expect(may('FanoutPage', action, queueArn('Queue'))).toBe(true);
    expect(may('Resume', 'dynamodb:PutItem', tableArn('DeadLetters'))).toBe(true);
    expect(may('Resume', 'dynamodb:GetItem', tableArn('DeadLetters'))).toBe(false);
  });

  it('lets the Sink read the history stream and put to its delivery stream only, and send to its dead-letter queue', () => {
    const stream = `arn:aws:firehose:${REGION}:000000000000:deliverystream/${model.deliveryStreams[0]!.logicalId}`;
    expect(may('Sink', 'firehose:PutRecordBatch', stream)).toBe(true);
    expect(may('Sink', 'firehose:PutRecordBatch', `arn:aws:firehose:${REGION}:000000000000:deliverystream/other`)).toBe(false);
    expect(may('Sink', 'firehose:PutRecord', stream)).toBe(false);
    for (const action of ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream']) {
      expect(may('Sink', action, `${tableArn('History')}/stream/2026-12-01T00:00:00.000`), action).toBe(true);
      expect(may('Sink', action, `${tableArn('Pending')}/stream/2026-12-01T00:00:00.000`), action).toBe(false);
    }
    expect(may('Sink', 'dynamodb:GetItem', tableArn('History'))).toBe(false);
    expect(may('Sink', 'sqs:SendMessage', `arn:aws:sqs:${REGION}:000000000000:${model.streamEventSourceMappings[0]!.onFailureQueueLogicalId}`)).toBe(true);
    expect(may('Publish', 'firehose:PutRecordBatch', stream)).toBe(false);
  });

  it('grants ManageConnections on this API and stage only (Disconnect too: it publishes the will and presence, PROTOCOL §9)', () => {
    const post = (api: string, stage: string) => `arn:aws:execute-api:${REGION}:000000000000:${api}/${stage}/POST/@connections/abc=`;
    expect(may('Publish', 'execute-api:ManageConnections', post('local', model.stageName))).toBe(true);
    expect(may('Publish', 'execute-api:ManageConnections', post('other', model.stageName))).toBe(false);
    expect(may('Publish', 'execute-api:ManageConnections', post('local', 'prod'))).toBe(false);
    expect(may('Disconnect', 'execute-api:ManageConnections', post('local', model.stageName))).toBe(true);
    expect(may('Disconnect', 'execute-api:ManageConnections', post('local', 'prod'))).toBe(false);
  });

  it('gives every function the logs of its AWS managed policy (AWSLambdaBasicExecutionRole)', () => {
    for (const fn of Object.keys(policies)) expect(may(fn, 'logs:PutLogEvents', `arn:aws:logs:${REGION}:000000000000:log-group:x`)).toBe(true);
  });

  it('resolves the Authorizer\'s policy too when auth is on', () => {
    const withAuth = synthTemplate({ context: { 'qosgate:authRequired': true } });
    const authModel = readAppModel(withAuth);
    expect(authModel.authorizer).toBeDefined();
    const all = readFunctionPolicies(withAuth, authModel, names);
    expect(all[authModel.authorizer?.functionId as string]?.statements.length).toBeGreaterThan(0);
  });
});

describe('readFunctionPolicies refuses what it cannot read faithfully', () => {
  const publishPolicyId = () =>
    Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('RouteFunctionsPublishServiceRoleDefaultPolicy'))?.[0] as string;

  it('an intrinsic it cannot resolve, naming the function and the statement', () => {
    const changed = copy(template);
    const statements = (changed.Resources[publishPolicyId()]?.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    (statements[0] as Record<string, unknown>).Resource = { 'Fn::ImportValue': 'SomeOtherStack-Table' };
    expect(() => readFunctionPolicies(changed, model, names)).toThrow(FunctionPolicyError);
    expect(() => readFunctionPolicies(changed, model, names)).toThrow(
      new RegExp(`^Publish: statement 0 of ${publishPolicyId()}: cannot resolve \\{"Fn::ImportValue":"SomeOtherStack-Table"\\} locally$`),
    );
  });

  it('a managed policy it does not know, and a permissions boundary it does not evaluate', () => {
    const roleId = (template.Resources[model.functions.Publish?.logicalId as string]?.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string;
    const managed = copy(template);
    (managed.Resources[roleId]?.Properties as Record<string, unknown>).ManagedPolicyArns = ['arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess'];
    expect(() => readFunctionPolicies(managed, model, names)).toThrow(/^Publish: its role \S+ has the managed policy arn:aws:iam::aws:policy\/AmazonDynamoDBFullAccess, whose statements/);
    const bounded = copy(template);
    (bounded.Resources[roleId]?.Properties as Record<string, unknown>).PermissionsBoundary = 'arn:aws:iam::000000000000:policy/boundary';
    expect(() => readFunctionPolicies(bounded, model, names)).toThrow(/^Publish: its role \S+ has a permissions boundary/);
  });

  it('a role that is not in the template (its policies are unknown here)', () => {
    const changed = copy(template);
    (changed.Resources[model.functions.Publish?.logicalId as string]?.Properties as Record<string, unknown>).Role = 'arn:aws:iam::000000000000:role/elsewhere';
    expect(() => readFunctionPolicies(changed, model, names)).toThrow(/^Publish: its Role is not a role of the template/);
  });
});
