import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforceIam, type FunctionPolicy } from '../../../local/iam/sdk-iam-middleware.js';
import { startSqsServer, type SqsServer } from '../../../local/sqs/sqs-server.js';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startFirehoseServer } from '../../../local/firehose/firehose-server.js';
import { readSinkRecords } from '../../../lambdas/adapters/file/file-sink-writer.js';
import { testDocumentClient, testDynamoDbClient, uniquePrefix } from '../../support/dynamodb.js';

/**
 * The middleware on real SDK clients against DynamoDB Local and the local SQS engine: what the
 * policy allows goes through, what it does not is answered as AWS answers it and never reaches
 * the service (the item is not there afterwards).
 */

const prefix = uniquePrefix('iam');
const ALLOWED = `${prefix}-allowed`;
const READ_ONLY = `${prefix}-readonly`;
const REGION = 'local';
const ACCOUNT = '000000000000';
const arn = (table: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;

const policy: FunctionPolicy = {
  functionId: 'Publish',
  roleName: 'PublishServiceRole',
  sessionName: 'Publish',
  accountId: ACCOUNT,
  region: REGION,
  apiId: 'local',
  statements: [
    { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'], Resource: [arn(ALLOWED)] },
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [arn(READ_ONLY)] },
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [`arn:aws:sqs:${REGION}:${ACCOUNT}:Allowed`] },
    { Effect: 'Allow', Action: ['firehose:PutRecordBatch'], Resource: [`arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/AllowedStream`] },
    { Effect: 'Allow', Action: ['execute-api:ManageConnections'], Resource: [`arn:aws:execute-api:${REGION}:${ACCOUNT}:local/dev/POST/@connections/*`] },
  ],
};
const deniedMessage = (action: string, resource: string) =>
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/PublishServiceRole/Publish is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

const admin = testDynamoDbClient();
const base = enforceIam(testDynamoDbClient(), policy);
const doc = testDocumentClient(base);
const key = (id: string) => ({ pk: { S: id } });

beforeAll(async () => {
  for (const TableName of [ALLOWED, READ_ONLY]) {
    await admin.send(
      new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
    );
  }
});
afterAll(async () => {
  for (const TableName of [ALLOWED, READ_ONLY]) await admin.send(new DeleteTableCommand({ TableName })).catch(() => {});
  admin.destroy();
  base.destroy();
});

async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name: string; message: string; $metadata?: { httpStatusCode?: number } },
  );
  if (!error) throw new Error('expected the call to be refused, and it succeeded');
  return { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
}

describe('enforceIam on DynamoDB', () => {
  it('lets an allowed call through, on the base client and the DocumentClient made from it', async () => {
    await base.send(new PutItemCommand({ TableName: ALLOWED, Item: { pk: { S: 'base' } } }));
    await doc.send(new PutCommand({ TableName: ALLOWED, Item: { pk: 'doc' } }));
    expect((await admin.send(new GetItemCommand({ TableName: ALLOWED, Key: key('base') }))).Item).toBeDefined();
    expect((await doc.send(new GetCommand({ TableName: ALLOWED, Key: { pk: 'doc' } }))).Item).toEqual({ pk: 'doc' });
  });

  it('refuses a write the policy does not allow, as AWS does, and the item is not written', async () => {
    const base400 = await refusal(base.send(new PutItemCommand({ TableName: READ_ONLY, Item: { pk: { S: 'base-denied' } } })));
    expect(base400).toEqual({ name: 'AccessDeniedException', message: deniedMessage('dynamodb:PutItem', arn(READ_ONLY)), status: 400 });
    const doc400 = await refusal(doc.send(new PutCommand({ TableName: READ_ONLY, Item: { pk: 'doc-denied' } })));
    expect(doc400).toEqual(base400);
    for (const id of ['base-denied', 'doc-denied']) expect((await admin.send(new GetItemCommand({ TableName: READ_ONLY, Key: key(id) }))).Item).toBeUndefined();
  });

  it('refuses a Query of an index the policy does not name, naming the index', async () => {
    const denied = await refusal(doc.send(new QueryCommand({ TableName: READ_ONLY, IndexName: 'byDue', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'x' } })));
    expect(denied.message).toBe(deniedMessage('dynamodb:Query', `${arn(READ_ONLY)}/index/byDue`));
  });

  it('refuses a BatchWriteItem when one of its tables is not allowed, and writes none of it', async () => {
    const denied = await refusal(
      doc.send(new BatchWriteCommand({ RequestItems: { [ALLOWED]: [{ PutRequest: { Item: { pk: 'batch-a' } } }], [READ_ONLY]: [{ PutRequest: { Item: { pk: 'batch-b' } } }] } })),
    );
    expect(denied).toMatchObject({ name: 'AccessDeniedException', message: deniedMessage('dynamodb:BatchWriteItem', arn(READ_ONLY)), status: 400 });
    expect((await admin.send(new GetItemCommand({ TableName: ALLOWED, Key: key('batch-a') }))).Item).toBeUndefined();
    await doc.send(new BatchWriteCommand({ RequestItems: { [ALLOWED]: [{ PutRequest: { Item: { pk: 'batch-a' } } }] } }));
    expect((await admin.send(new GetItemCommand({ TableName: ALLOWED, Key: key('batch-a') }))).Item).toBeDefined();
  });

  it('authorizes a TransactWriteItems item by item (PutItem, ConditionCheckItem, ...), as IAM does', async () => {
    const denied = await refusal(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: { TableName: ALLOWED, Item: { pk: 'tx-a' } } }, { Put: { TableName: READ_ONLY, Item: { pk: 'tx-b' } } }],
        }),
      ),
    );
    expect(denied).toEqual({ name: 'AccessDeniedException', message: deniedMessage('dynamodb:PutItem', arn(READ_ONLY)), status: 400 });
    expect((await admin.send(new GetItemCommand({ TableName: ALLOWED, Key: key('tx-a') }))).Item).toBeUndefined();
    // A condition check needs dynamodb:ConditionCheckItem on its table, which READ_ONLY lacks.
    const check = await refusal(
      doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: ALLOWED, Item: { pk: 'tx-c' } } }, { ConditionCheck: { TableName: READ_ONLY, Key: { pk: 'x' }, ConditionExpression: 'attribute_not_exists(pk)' } }] })),
    );
    expect(check.message).toBe(deniedMessage('dynamodb:ConditionCheckItem', arn(READ_ONLY)));
    await doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: ALLOWED, Item: { pk: 'tx-a' } } }, { ConditionCheck: { TableName: ALLOWED, Key: { pk: 'x' }, ConditionExpression: 'attribute_not_exists(pk)' } }] }));
    expect((await admin.send(new GetItemCommand({ TableName: ALLOWED, Key: key('tx-a') }))).Item).toBeDefined();
  });

  it('takes the same policy again as a no-op (a DocumentClient shares its base client\'s stack), and refuses another', async () => {
    expect(enforceIam(doc, policy)).toBe(doc);
    expect(enforceIam(base, structuredClone(policy))).toBe(base);
    await doc.send(new PutCommand({ TableName: ALLOWED, Item: { pk: 'twice' } }));
    expect(() => enforceIam(base, { ...policy, functionId: 'Ping' })).toThrow('qosgate local IAM: this client already enforces the policy of Publish; one client per function (Ping)');
  });
});

describe('enforceIam on SQS and the management API', () => {
  let sqsServer: SqsServer;
  beforeAll(async () => {
    sqsServer = await startSqsServer({ host: '127.0.0.1' });
    sqsServer.engine.createQueue('Allowed', { visibilityTimeoutSeconds: 30, messageRetentionSeconds: 60 });
    sqsServer.engine.createQueue('Other', { visibilityTimeoutSeconds: 30, messageRetentionSeconds: 60 });
  });
  afterAll(() => sqsServer?.close());

  it('lets SendMessage to the granted queue through and refuses it to another, which stays empty', async () => {
    const sqs = enforceIam(new SQSClient({ endpoint: sqsServer.endpoint, region: REGION, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }), policy);
    await sqs.send(new SendMessageCommand({ QueueUrl: sqsServer.queueUrl('Allowed'), MessageBody: 'ok' }));
    const denied = await refusal(sqs.send(new SendMessageCommand({ QueueUrl: sqsServer.queueUrl('Other'), MessageBody: 'no' })));
    // SQS's JSON protocol is query-compatible: the SDK names the error by its query code, `AccessDenied`, and SQS writes the action in lower case.
    expect(denied).toEqual({ name: 'AccessDenied', message: deniedMessage('sqs:sendmessage', `arn:aws:sqs:${REGION}:${ACCOUNT}:Other`), status: 400 });
    expect(sqsServer.engine.receive('Other', 10)).toEqual([]);
    sqs.destroy();
  });

  it('refuses a management API call the policy does not allow with 403 AccessDeniedException, before it is sent', async () => {
    // No server listens on this port: an allowed call would fail to connect, a refused one never tries.
    const client = enforceIam(
      new ApiGatewayManagementApiClient({ endpoint: 'http://127.0.0.1:9/dev', region: REGION, credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 }),
      { ...policy, statements: policy.statements.filter((s) => !s.Action?.includes('execute-api:ManageConnections')) },
    );
    const denied = await refusal(client.send(new PostToConnectionCommand({ ConnectionId: 'abc=', Data: new TextEncoder().encode('{}') })));
    expect(denied).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/PublishServiceRole/Publish is not authorized to perform: execute-api:ManageConnections on resource: arn:aws:execute-api:${REGION}:********0000:local/dev/POST/@connections/abc= because no identity-based policy allows the execute-api:ManageConnections action`,
      status: 403,
    });
    client.destroy();
  });
});

describe('enforceIam on Firehose', () => {
  it('lets PutRecordBatch to the granted delivery stream through and refuses it to another, which gets nothing', async () => {
    const allowedDir = mkdtempSync(join(tmpdir(), 'qosgate-iam-firehose-'));
    const otherDir = mkdtempSync(join(tmpdir(), 'qosgate-iam-firehose-'));
    const server = await startFirehoseServer({ streams: { AllowedStream: allowedDir, OtherStream: otherDir } });
    const firehose = enforceIam(new FirehoseClient({ endpoint: server.endpoint, region: REGION, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }), policy);
    const record = { Data: Buffer.from('{"controller":"c","topic":"t","data":1,"qos":1,"clientId":"x","receivedAt":4000000000000,"messageId":"m"}\n') };
    try {
      await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'AllowedStream', Records: [record] }));
      const denied = await refusal(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'OtherStream', Records: [record] })));
      expect(denied).toEqual({ name: 'AccessDeniedException', message: deniedMessage('firehose:PutRecordBatch', `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/OtherStream`), status: 400 });
      expect((await readSinkRecords(allowedDir)).map((r) => r.record.messageId)).toEqual(['m']);
      expect(await readSinkRecords(otherDir)).toEqual([]);
    } finally {
      firehose.destroy();
      await server.close();
      rmSync(allowedDir, { recursive: true, force: true });
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('the middleware module in a plain Node process', () => {
  it('bundles with nothing outside local/iam and refuses a request there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qosgate-iam-'));
    try {
      const entry = fileURLToPath(new URL('../../../local/iam/sdk-iam-middleware.ts', import.meta.url));
      const result = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: join(dir, 'iam.cjs'), metafile: true, logLevel: 'silent' });
      expect(Object.keys(result.metafile.inputs).every((input) => input.includes('local/iam/'))).toBe(true);
      // A fake client: the module takes any object with a middleware stack, as the worker's SDK clients have.
      writeFileSync(
        join(dir, 'run.cjs'),
        `const { enforceIam } = require('./iam.cjs');
         let mw; const client = { middlewareStack: { add: (m) => (mw = m) } };
         enforceIam(client, ${JSON.stringify(policy)});
         const request = { method: 'POST', path: '/', headers: { 'x-amz-target': 'DynamoDB_20120810.DeleteTable' }, body: JSON.stringify({ TableName: 't' }) };
         mw(() => { throw new Error('sent'); })({ request }).then((r) => console.log(r.response.statusCode, JSON.parse(new TextDecoder().decode(r.response.body)).__type));`,
      );
      const run = spawnSync(process.execPath, [join(dir, 'run.cjs')], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('400 com.amazon.coral.service#AccessDeniedException');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
