import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '../../lambdas/adapters/dynamodb/schema.js';
import { FANOUT_PAGE, RESEND, ROUTES, type Access, type RouteSpec } from '../../lambdas/routes.js';
import { QosgateStack } from '../../lib/qosgate-stack.js';

/**
 * Each function's IAM policy grants exactly what its RouteSpec lists: the listed tables with
 * the listed access, and execute-api:ManageConnections on this API's stage only where
 * `manageConnections` is true. Read from the synthesized policies, not from the code that made them.
 */

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type FunctionSpec = Omit<RouteSpec, 'routeKey'> & { routeKey?: string };

const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;
const ALL_FUNCTIONS: FunctionSpec[] = [...ROUTES, RESEND, FANOUT_PAGE];

const READS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const ANY_WRITE = [...WRITES, 'dynamodb:*', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];
const ANY_READ = [...READS, 'dynamodb:Scan', 'dynamodb:*', 'dynamodb:PartiQLSelect'];

let stack: QosgateStack;
let resources: Record<string, Resource>;

beforeAll(() => {
  // Real bundling, as in `cdk synth`, and the same feature flags (minimizePolicies merges statements).
  stack = new QosgateStack(new App({ context: CDK_CONTEXT }), 'Qosgate');
  resources = Template.fromStack(stack).toJSON().Resources;
}, 180_000);

function logicalId(construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function functionOf(spec: FunctionSpec) {
  if (spec.id === FANOUT_PAGE.id) return stack.fanout.worker;
  return spec.routeKey === undefined ? stack.resend.handler : stack.routeFunctions.functionFor({ routeKey: spec.routeKey });
}

/** Every statement of every inline policy attached to the function's role. */
function statementsOf(spec: FunctionSpec): Statement[] {
  const roleRef = JSON.stringify({ Ref: logicalId(functionOf(spec).role!) });
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === roleRef))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Which table (and whether its indexes) a statement resource names; undefined if it names none. */
function tableTarget(resource: unknown): { table: TableName; indexes: boolean } | undefined {
  const text = JSON.stringify(resource);
  for (const table of Object.keys(TABLES) as TableName[]) {
    const arn = { 'Fn::GetAtt': [logicalId(stack.storage.tables[table]), 'Arn'] };
    if (text === JSON.stringify(arn)) return { table, indexes: false };
    if (text === JSON.stringify({ 'Fn::Join': ['', [arn, '/index/*']] })) return { table, indexes: true };
  }
  return undefined;
}

/** DynamoDB actions by table, failing on any DynamoDB action on something that is not one of our tables. */
function dynamoDbAccess(spec: FunctionSpec): Map<TableName, Set<string>> {
  const access = new Map<TableName, Set<string>>();
  for (const statement of statementsOf(spec)) {
    expect(statement.Effect).toBe('Allow');
    const actions = actionsOf(statement).filter((a) => a.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    for (const resource of resourcesOf(statement)) {
      const target = tableTarget(resource);
      if (!target) throw new Error(`${spec.id}: DynamoDB actions on ${JSON.stringify(resource)}`);
      const set = access.get(target.table) ?? new Set<string>();
      for (const action of actions) set.add(target.indexes ? `index:${action}` : action);
      access.set(target.table, set);
    }
  }
  return access;
}

const EXPECTED: Record<Access, { has: string[]; lacks: string[] }> = {
  read: { has: READS, lacks: ANY_WRITE },
  readWrite: { has: [...READS, ...WRITES], lacks: ['dynamodb:*'] },
  write: { has: WRITES, lacks: ANY_READ },
};

describe.each(ALL_FUNCTIONS)('$id', (spec) => {
  it('touches exactly the tables its RouteSpec lists, with the listed access', () => {
    const access = dynamoDbAccess(spec);
    expect([...access.keys()].sort()).toEqual(Object.keys(spec.tables).sort());
    for (const [table, mode] of Object.entries(spec.tables) as Array<[TableName, Access]>) {
      const actions = [...access.get(table)!];
      for (const action of EXPECTED[mode].has) expect(actions, `${table} ${mode}`).toContain(action);
      for (const action of EXPECTED[mode].lacks) expect(actions, `${table} ${mode}`).not.toContain(action);
    }
  });

  it('may query the indexes of the tables it reads', () => {
    const access = dynamoDbAccess(spec);
    for (const [table, mode] of Object.entries(spec.tables) as Array<[TableName, Access]>) {
      if (TABLES[table].indexes.length === 0 || mode === 'write') continue;
      expect([...access.get(table)!]).toContain('index:dynamodb:Query');
    }
  });

  it(`has execute-api:ManageConnections on this API's stage ${spec.manageConnections ? 'only' : 'not at all'}`, () => {
    const statements = statementsOf(spec).filter((s) => actionsOf(s).some((a) => a.startsWith('execute-api:')));
    if (!spec.manageConnections) {
      expect(statements).toEqual([]);
      return;
    }
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(actionsOf(statement!)).toEqual(['execute-api:ManageConnections']);
    const apiArn = [
      'arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':',
      { Ref: logicalId(stack.webSocket.api) },
    ];
    expect(statement!.Resource).toEqual({ 'Fn::Join': ['', [...apiArn, `/${stack.config.stageName}/*/@connections/*`]] });
  });

  it(`may use the fan-out queue ${spec.pageQueue === 'send' ? 'to send only' : spec.pageQueue === 'consume' ? 'to send, receive and delete' : 'not at all'}, and only that queue`, () => {
    const statements = statementsOf(spec).filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    const actions = new Set(statements.flatMap(actionsOf));
    const expected: Record<string, string[]> = {
      none: [],
      send: ['sqs:SendMessage'],
      consume: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
    };
    expect([...actions].sort()).toEqual(expected[spec.pageQueue ?? 'none']);
    const queueArn = { 'Fn::GetAtt': [logicalId(stack.fanout.queue), 'Arn'] };
    for (const statement of statements) expect(resourcesOf(statement)).toEqual([queueArn]);
  });

  it('is allowed nothing else', () => {
    for (const statement of statementsOf(spec)) {
      for (const action of actionsOf(statement)) expect(action).toMatch(/^(dynamodb:[A-Za-z]+|execute-api:ManageConnections|sqs:[A-Za-z]+)$/);
      expect(resourcesOf(statement)).not.toContain('*');
    }
    // Logs only, through the one managed policy every Lambda role needs.
    const role = resources[logicalId(functionOf(spec).role!)]!;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/service-role\/AWSLambdaBasicExecutionRole"\]\]\}\]$/);
    expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
  });
});

describe('examples', () => {
  const actionsOn = (id: string, table: TableName) => [...(dynamoDbAccess(ALL_FUNCTIONS.find((s) => s.id === id)!).get(table) ?? [])];

  it('Ping can write no table at all', () => {
    const access = dynamoDbAccess(ROUTES.find((r) => r.id === 'Ping')!);
    for (const actions of access.values()) for (const action of ANY_WRITE) expect([...actions]).not.toContain(action);
  });

  it('Msgack writes connections and subscriptions (lazy flow control flags and unflags its session), and touches no inbound, retained or dead letter', () => {
    expect(actionsOn('Msgack', 'connections')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']));
    expect(actionsOn('Msgack', 'subscriptions')).toContain('dynamodb:UpdateItem');
    for (const table of ['inbound', 'retained', 'deadLetters'] as const) expect(actionsOn('Msgack', table)).toEqual([]);
  });

  it('Pubrec still only reads connections', () => {
    expect(actionsOn('Pubrec', 'connections')).toContain('dynamodb:GetItem');
    expect(actionsOn('Pubrec', 'connections')).not.toContain('dynamodb:PutItem');
    expect(actionsOn('Pubrec', 'connections')).not.toContain('dynamodb:DeleteItem');
  });

  it('Resume writes dead letters but cannot read them', () => {
    expect(actionsOn('Resume', 'deadLetters')).toContain('dynamodb:PutItem');
    expect(actionsOn('Resume', 'deadLetters')).not.toContain('dynamodb:GetItem');
    expect(actionsOn('Resume', 'deadLetters')).not.toContain('dynamodb:Query');
  });

  it('Resend may query the byDue index of pending', () => {
    expect(actionsOn('Resend', 'pending')).toContain('index:dynamodb:Query');
  });

  it('every function with the pending table reads and writes the messages table too (it writes and joins the bodies)', () => {
    const withPending = ALL_FUNCTIONS.filter((spec) => spec.tables.pending !== undefined);
    expect(withPending.map((spec) => spec.id).sort()).toEqual(['Connect', 'Default', 'Disconnect', 'FanoutPage', 'Msgack', 'Publish', 'Pubrec', 'Pubrel', 'Resend', 'Resume', 'Subscribe']);
    for (const spec of withPending) {
      expect(actionsOn(spec.id, 'messages'), spec.id).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem']));
    }
    expect(actionsOn('Ping', 'messages')).toEqual([]);
  });

  it('Disconnect may post to connections (it publishes the ending connection\'s will and presence, PROTOCOL §9), and Will and Goodbye touch only the connections table', () => {
    expect(statementsOf(ROUTES.find((r) => r.id === 'Disconnect')!).flatMap(actionsOf)).toContain('execute-api:ManageConnections');
    for (const id of ['Will', 'Goodbye']) {
      expect([...dynamoDbAccess(ROUTES.find((r) => r.id === id)!).keys()], id).toEqual(['connections']);
      expect(actionsOn(id, 'connections'), id).toContain('dynamodb:UpdateItem');
    }
  });
});
