import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '../../../lambdas/adapters/dynamodb/schema.js';
import { CALLBACK_URL_ENV } from '../../../lambdas/config.js';
import { RESEND, ROUTES, ROUTE_SELECTION_EXPRESSION } from '../../../lambdas/routes.js';
import { RESEND_RATE } from '../../../lib/constructs/resend-schedule.js';
import { tableConstructId } from '../../../lib/constructs/storage.js';
import { ensureTables } from '../../../local/dynamodb/create-tables-from-template.js';
import { readAppModel, resolveEnvironment, type AppModel } from '../../../local/template/app-model.js';
import type { CfnResource, CfnTemplate } from '../../../local/template/cfn-template.js';
import { synthTemplate } from '../../../local/template/synth.js';
import { testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/**
 * THE no-drift proof: what the local runtime routes by, runs handlers with and stores in is
 * the synthesized template's, read here straight from the template's resources (not through
 * readAppModel), and the tables actually created in DynamoDB Local are read back from it.
 * lambdas/adapters/dynamodb/schema.ts is checked too: adapters, stack and local runtime agree.
 */

const CALLBACK_URL = 'http://127.0.0.1:4510/dev';

let template: CfnTemplate;
let model: AppModel;
let client: DynamoDBClient;
/** Local table name by template logical id, as ensureTables returned them. */
let tableNames: Record<string, string>;

beforeAll(async () => {
  template = synthTemplate();
  model = readAppModel(template);
  client = testDynamoDbClient();
  tableNames = await ensureTables(client, model, uniquePrefix('no-drift'));
}, 120_000);

afterAll(() => client?.destroy());

function resourcesOf(...types: string[]): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => types.includes(r.Type));
}

/** The logical id of the one function a resource's JSON names with `Fn::GetAtt [Fn, 'Arn']`. */
function functionIn(value: unknown): string {
  const functions = new Set(resourcesOf('AWS::Lambda::Function').map(([id]) => id));
  const named = [...JSON.stringify(value).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((m) => m[1] as string).filter((id) => functions.has(id));
  expect(named).toHaveLength(1);
  return named[0] as string;
}

const TEMPLATE_TABLE_TYPES = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'];
/** Where the local runtime puts each queue of the template (local/runtime.ts: one local queue per logical id). */
const queueUrls = () => Object.fromEntries(model.queues.map((q) => [q.logicalId, `http://127.0.0.1:1/000000000000/${q.logicalId}`]));
const deliveryStreamNames = () => Object.fromEntries(model.deliveryStreams.map((s) => [s.logicalId, s.logicalId]));

describe('routes', () => {
  it("are the template's route keys, each run by the function the template integrates", () => {
    const templateRoutes = resourcesOf('AWS::ApiGatewayV2::Route').map(([, route]) => {
      const integrationId = JSON.stringify(route.Properties?.Target).match(/"Ref":"([^"]+)"/)?.[1] as string;
      return { routeKey: route.Properties?.RouteKey, functionLogicalId: functionIn(template.Resources[integrationId]?.Properties?.IntegrationUri) };
    });
    const localRoutes = model.routes.map((r) => ({ routeKey: r.routeKey, functionLogicalId: model.functions[r.functionId]?.logicalId }));
    expect(sortBy(localRoutes, 'routeKey')).toEqual(sortBy(templateRoutes, 'routeKey'));
  });

  it("select by the template's expression, the one selectRoute implements", () => {
    const [[, api]] = resourcesOf('AWS::ApiGatewayV2::Api') as [[string, CfnResource]];
    expect(model.routeSelectionExpression).toBe(api.Properties?.RouteSelectionExpression);
    expect(model.routeSelectionExpression).toBe(ROUTE_SELECTION_EXPRESSION);
  });

  it('are the route table, so the handler built for a route (createFunction(id)) is the one it runs', () => {
    expect(sortBy(model.routes.map((r) => ({ routeKey: r.routeKey, id: r.functionId })), 'routeKey')).toEqual(
      sortBy(ROUTES.map((r) => ({ routeKey: r.routeKey, id: r.id })), 'routeKey'),
    );
  });
});

describe('function environments', () => {
  it("have exactly the template's variable names, tables resolved to the tables created for those logical ids", () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(Object.values(model.functions).map((f) => f.logicalId).sort()).toEqual(functions.map(([id]) => id).sort());
    for (const [logicalId, fn] of functions) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const local = Object.values(model.functions).find((f) => f.logicalId === logicalId)!;
      const env = resolveEnvironment(local, { tableNames, callbackUrl: CALLBACK_URL, queueUrls: queueUrls(), deliveryStreamNames: deliveryStreamNames() });

      expect(Object.keys(env).sort(), logicalId).toEqual(Object.keys(variables).sort());
      for (const [name, value] of Object.entries(variables)) {
        if (typeof value === 'string') expect(env[name], name).toBe(value);
        else if (name === CALLBACK_URL_ENV) expect(env[name]).toBe(CALLBACK_URL);
        else {
          const ref = (value as { Ref: string }).Ref;
          if (template.Resources[ref]?.Type === 'AWS::SQS::Queue') {
            // A queue's Ref is its URL: the local SQS engine's queue of that logical id.
            expect(env[name], `${logicalId} ${name}`).toBe(queueUrls()[ref]);
            continue;
          }
          if (template.Resources[ref]?.Type === 'AWS::KinesisFirehose::DeliveryStream') {
            // A delivery stream's Ref is its name: the local Firehose stand-in's stream of that logical id.
            expect(env[name], `${logicalId} ${name}`).toBe(ref);
            continue;
          }
          expect(TEMPLATE_TABLE_TYPES, `${logicalId} ${name}`).toContain(template.Resources[ref]?.Type);
          expect(env[name], `${logicalId} ${name}`).toBe(tableNames[ref]);
        }
      }
    }
  });

  it('name each table by its TABLES env var, so a handler reading CONNECTIONS_TABLE gets the Connections table', () => {
    const tableIdByName = Object.fromEntries(model.tables.map((t) => [tableNames[t.logicalId], t.id]));
    for (const fn of Object.values(model.functions)) {
      const env = resolveEnvironment(fn, { tableNames, callbackUrl: CALLBACK_URL, queueUrls: queueUrls(), deliveryStreamNames: deliveryStreamNames() });
      for (const name of Object.keys(TABLES) as TableName[]) {
        const tableName = env[TABLES[name].envVar];
        if (tableName !== undefined) expect(tableIdByName[tableName], `${fn.functionId} ${TABLES[name].envVar}`).toBe(tableConstructId(name));
      }
    }
  });
});

describe('tables created in DynamoDB Local', () => {
  const described = async (logicalId: string): Promise<TableDescription> => {
    const name = tableNames[logicalId];
    expect(name, logicalId).toBeDefined();
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;
  };
  const ttlOf = async (logicalId: string) => (await client.send(new DescribeTimeToLiveCommand({ TableName: tableNames[logicalId] }))).TimeToLiveDescription;

  it("are the template's table resources: keys, attribute types, GSIs with projections, TTL", async () => {
    const tables = resourcesOf(...TEMPLATE_TABLE_TYPES);
    expect(Object.keys(tableNames).sort()).toEqual(tables.map(([id]) => id).sort());
    for (const [logicalId, table] of tables) {
      const props = table.Properties as Record<string, any>;
      const actual = await described(logicalId);
      expect(actual.KeySchema, logicalId).toEqual(props.KeySchema);
      expect(sortBy(actual.AttributeDefinitions ?? [], 'AttributeName'), logicalId).toEqual(sortBy(props.AttributeDefinitions, 'AttributeName'));
      const indexes = (actual.GlobalSecondaryIndexes ?? []).map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }));
      expect(sortBy(indexes, 'IndexName'), logicalId).toEqual(sortBy(props.GlobalSecondaryIndexes ?? [], 'IndexName'));
      const ttl = await ttlOf(logicalId);
      if (props.TimeToLiveSpecification?.Enabled) expect(ttl, logicalId).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: props.TimeToLiveSpecification.AttributeName });
      else expect(ttl?.TimeToLiveStatus, logicalId).toBe('DISABLED');
    }
  });

  it('are what lambdas/adapters/dynamodb/schema.ts (TABLES) says the code reads and writes', async () => {
    for (const [name, schema] of Object.entries(TABLES) as Array<[TableName, (typeof TABLES)[TableName]]>) {
      const table = model.tables.find((t) => t.id === tableConstructId(name));
      expect(table, name).toBeDefined();
      const actual = await described(table!.logicalId);
      const types = Object.fromEntries((actual.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
      const key = (k: { name: string; type: string }, keyType: string) => ({ AttributeName: k.name, KeyType: keyType, type: k.type });
      const withTypes = (keys: TableDescription['KeySchema']) => (keys ?? []).map((k) => ({ ...k, type: types[k.AttributeName!] }));

      expect(withTypes(actual.KeySchema), name).toEqual([key(schema.partitionKey, 'HASH'), ...(schema.sortKey ? [key(schema.sortKey, 'RANGE')] : [])]);
      expect(
        sortBy((actual.GlobalSecondaryIndexes ?? []).map((i) => ({ indexName: i.IndexName, keys: withTypes(i.KeySchema), projection: i.Projection?.ProjectionType })), 'indexName'),
        name,
      ).toEqual(
        sortBy(
          schema.indexes.map((i) => ({
            indexName: i.indexName,
            keys: [key(i.partitionKey, 'HASH'), ...(i.sortKey ? [key(i.sortKey, 'RANGE')] : [])],
            projection: i.projection,
          })),
          'indexName',
        ),
      );
      expect(await ttlOf(table!.logicalId), name).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: schema.ttlAttribute });
    }
  });
});

describe('the resend schedule', () => {
  it("fires the function the template's rule targets, at the rule's rate", () => {
    const rules = resourcesOf('AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules as [[string, CfnResource]];
    const expression = rule.Properties?.ScheduleExpression as string;
    const minutes = Number(/^rate\((\d+) minutes?\)$/.exec(expression)?.[1]);

    expect(model.schedules).toHaveLength(1);
    const [schedule] = model.schedules;
    expect(schedule?.expression).toBe(expression);
    expect(schedule?.intervalMs).toBe(minutes * 60_000);
    expect(schedule?.intervalMs).toBe(RESEND_RATE.toMilliseconds());
    expect(model.functions[schedule!.functionId]?.logicalId).toBe(functionIn(rule.Properties?.Targets));
    expect(schedule?.functionId).toBe(RESEND.id);
  });
});

function sortBy<T>(items: T[], key: keyof T): T[] {
  return [...items].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
}
