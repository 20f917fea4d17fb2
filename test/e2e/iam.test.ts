import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../lambdas/ports/logger.js';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime.js';
import { readAppModel } from '../../local/template/app-model.js';
import { refOf, type CfnTemplate } from '../../local/template/cfn-template.js';
import { TestClient } from '../support/ws-client.js';

/**
 * The local runtime enforces the template's IAM policies: with one grant taken out of the
 * synthesized template (the Publish function's writes to the pending table, its reads left), a
 * QoS 1 publish to a subscriber fails as it would on AWS after such a deploy, with the SDK's
 * AccessDeniedException naming the action and the table; with the real template it goes through.
 */

const READ_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:Query', 'dynamodb:Scan'];

/** The template with `functionId`'s grants on `tableId` cut down to reads (as `grantReadData` would give). */
function readOnly(functionId: string, tableId: string): (template: CfnTemplate) => CfnTemplate {
  return (original) => {
    const template = structuredClone(original);
    const model = readAppModel(template);
    const fn = model.functions[functionId];
    const table = model.tables.find((t) => t.id === tableId);
    if (!fn || !table) throw new Error(`no ${functionId} function or ${tableId} table in the template`);
    const roleId = (template.Resources[fn.logicalId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const namesTable = (resource: unknown) => JSON.stringify(resource).includes(`"${table.logicalId}"`);
    let cut = 0;
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' || !(resource.Properties?.Roles as unknown[]).some((r) => refOf(r) === roleId)) continue;
      const document = resource.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> };
      for (const statement of [...document.Statement]) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        if (!resources.some(namesTable)) continue;
        statement.Resource = resources.filter((r) => !namesTable(r));
        document.Statement.push({ Effect: 'Allow', Action: READ_ACTIONS, Resource: resources.filter(namesTable) });
        cut += 1;
      }
    }
    if (cut === 0) throw new Error(`${functionId} has no grant on ${tableId} to cut`);
    return template;
  };
}

function capturingLog(): Logger & { errors: Array<{ message: string; fields?: Record<string, unknown> }> } {
  const errors: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  return { info: () => {}, warn: () => {}, error: (message, fields) => errors.push({ message, ...(fields ? { fields } : {}) }), errors };
}

/** The named scenario: a QoS 1 subscriber, a QoS 1 publish to its topic; returns what each side saw. */
async function qos1PublishToASubscriber(runtime: LocalRuntime, clients: TestClient[]) {
  const subscriber = await TestClient.connect(runtime.url, { qos: '1' });
  const publisher = await TestClient.connect(runtime.url, { qos: '1' });
  clients.push(subscriber, publisher);
  subscriber.send({ action: 'subscribe', controller: 'monitor', topic: 'iam', qos: 1 });
  await subscriber.waitFor((c) => c.json().find((f) => f.type === 'suback'), 10_000, 'suback');
  publisher.send({ action: 'publish', controller: 'monitor', topic: 'iam', data: 7, qos: 1, id: 'p-1' });
  const answer = await publisher.waitFor((c) => c.json().find((f) => f.id === 'p-1'), 10_000, "the publish's answer");
  return { answer, subscriber };
}

describe('IAM enforced locally, end to end', () => {
  const clients: TestClient[] = [];
  let runtime: LocalRuntime | undefined;
  const start = async (options: LocalRuntimeOptions) => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true, dashboard: false, schedules: false, ...options });
    return runtime;
  };
  const stop = async () => {
    for (const client of clients.splice(0)) await client.close();
    await runtime?.stop();
    runtime = undefined;
  };
  afterAll(stop, 60_000);

  describe('with the Publish function\'s writes to the pending table removed from the template', () => {
    const log = capturingLog();
    beforeAll(() => start({ log, template: readOnly('Publish', 'Pending') }), 120_000);
    afterAll(stop, 60_000);

    it('a QoS 1 publish to a subscriber fails with AccessDenied naming the action and the pending table', async () => {
      const { answer, subscriber } = await qos1PublishToASubscriber(runtime as LocalRuntime, clients);
      expect(answer).toMatchObject({ type: 'error', code: 'INTERNAL', action: 'publish', id: 'p-1' });
      const pendingTable = (runtime as LocalRuntime).tableNames[pendingLogicalId(runtime as LocalRuntime)] as string;
      expect(pendingTable).toBe('qosgate-dev-Pending');
      const failure = log.errors.find((e) => e.message === 'Handler failed' && e.fields?.action === 'publish');
      // Publish stores a message's pending entries with one BatchWriteItem (lambdas/adapters/dynamodb/batch.ts).
      const { roleName, region } = (runtime as LocalRuntime).policies?.Publish ?? {};
      expect(failure?.fields?.error).toBe(
        `AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/${roleName}/Publish is not authorized to perform: dynamodb:BatchWriteItem ` +
          `on resource: arn:aws:dynamodb:${region}:000000000000:table/${pendingTable} because no identity-based policy allows the dynamodb:BatchWriteItem action`,
      );
      expect(subscriber.messages()).toEqual([]);
    });
  });

  // The deploy bundles in Node 22 workers build their own clients: the same middleware goes in
  // through the workers' client hook (local/lambda), so a missing grant fails there alike.
  describe('in bundled mode, with the same grant removed', () => {
    const log = capturingLog();
    beforeAll(() => start({ log, bundled: true, template: readOnly('Publish', 'Pending') }), 180_000);
    afterAll(stop, 60_000);

    it('the QoS 1 publish fails with the same AccessDenied, raised in the worker', async () => {
      const { answer, subscriber } = await qos1PublishToASubscriber(runtime as LocalRuntime, clients);
      expect(answer).toMatchObject({ type: 'error', code: 'INTERNAL', action: 'publish', id: 'p-1' });
      expect((runtime as LocalRuntime).functionsRuntime.mode).toBe('bundled');
      const pendingTable = (runtime as LocalRuntime).tableNames[pendingLogicalId(runtime as LocalRuntime)] as string;
      const logged = JSON.stringify(log.errors);
      expect(logged).toContain('AccessDeniedException');
      expect(logged).toContain(`is not authorized to perform: dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:`);
      expect(logged).toContain(`:table/${pendingTable} because no identity-based policy allows`);
      expect(subscriber.messages()).toEqual([]);
    }, 60_000);
  });

  describe('with the real template', () => {
    const log = capturingLog();
    beforeAll(() => start({ log }), 120_000);
    afterAll(stop, 60_000);

    it('the same QoS 1 publish to a subscriber is acknowledged and delivered, and nothing was refused', async () => {
      const { answer, subscriber } = await qos1PublishToASubscriber(runtime as LocalRuntime, clients);
      expect(answer).toMatchObject({ type: 'msgack', id: 'p-1' });
      const message = await subscriber.waitFor((c) => c.messages()[0], 10_000, 'the message');
      expect(message).toMatchObject({ controller: 'monitor', topic: 'iam', data: 7, qos: 1 });
      expect(log.errors).toEqual([]);
    });
  });
});

function pendingLogicalId(runtime: LocalRuntime): string {
  const table = runtime.model.tables.find((t) => t.id === 'Pending');
  if (!table) throw new Error('no Pending table');
  return table.logicalId;
}
