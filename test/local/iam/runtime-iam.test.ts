import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { localIam } from '../../../local/iam/runtime-iam.js';
import { readAppModel, type AppModel } from '../../../local/template/app-model.js';
import type { CfnTemplate } from '../../../local/template/cfn-template.js';
import { synthTemplate } from '../../../local/template/synth.js';

let template: CfnTemplate;
let model: AppModel;
beforeAll(() => {
  template = synthTemplate();
  model = readAppModel(template);
});

describe('localIam', () => {
  it('names the tables as ensureTables does and the queues by logical id, in the runtime\'s region', () => {
    const { policies } = localIam(template, model, 'ap-south-1');
    const resources = (policies.Publish?.statements ?? []).flatMap((s) => s.Resource ?? []);
    expect(resources).toContain('arn:aws:dynamodb:ap-south-1:000000000000:table/qosgate-dev-Pending');
    expect(resources).toContain(`arn:aws:sqs:ap-south-1:000000000000:${model.queues.find((q) => q.id === 'Queue')?.logicalId}`);
  });

  it('refuses a shared DynamoDB or SQS client: one client would carry every function\'s policy', () => {
    expect(() => localIam(template, model, 'us-east-1', { dynamodb: new DynamoDBClient({}) })).toThrow(
      /^qosgate: overrides\.dynamodb is one client for every function, so the runtime cannot enforce each function's own IAM policy on it\. Pass overrides\.sdkClient/,
    );
    expect(() => localIam(template, model, 'us-east-1', { sqs: new SQSClient({}) })).toThrow(/^qosgate: overrides\.sqs is one client for every function/);
  });

  it("runs the host's own client hook first, then enforces the function's policy on that client", async () => {
    const seen: string[] = [];
    const iam = localIam(template, model, 'us-east-1');
    const overrides = iam.overridesFor('Ping', {
      sdkClient: (client) => {
        seen.push(client.constructor.name);
        return client;
      },
    });
    const client = (overrides.sdkClient as NonNullable<typeof overrides.sdkClient>)(new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }));
    expect(seen).toEqual(['DynamoDBClient']);
    // Ping may only read the connections table: refused before any connection is tried (nothing listens on port 9).
    await expect(client.send(new PutItemCommand({ TableName: 'qosgate-dev-Connections', Item: { pk: { S: 'x' } } }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('/Ping is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/qosgate-dev-Connections'),
    });
    expect(() => iam.overridesFor('NoSuchFunction', {})).toThrow('qosgate: no IAM policy was read for the function NoSuchFunction');
  });

  it("refuses to start an SQS event source mapping whose function's role may not poll the queue, as Lambda refuses to create it", () => {
    const changed = structuredClone(template);
    const fanout = model.functions.FanoutPage;
    const roleId = (changed.Resources[fanout?.logicalId as string]?.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    for (const resource of Object.values(changed.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' || !JSON.stringify(resource.Properties?.Roles).includes(`"${roleId}"`)) continue;
      for (const statement of (resource.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement) {
        if (Array.isArray(statement.Action)) statement.Action = statement.Action.filter((a) => a !== 'sqs:DeleteMessage');
      }
    }
    expect(() => localIam(changed, readAppModel(changed), 'us-east-1')).toThrow(
      /^qosgate: the event source mapping of \S+ to FanoutPage cannot be created: InvalidParameterValueException: The provided execution role does not have permissions to call DeleteMessage on SQS/,
    );
  });

  it("refuses to start the history stream's mapping when the Sink's role may not read the stream (or send to its on-failure queue)", () => {
    const without = (action: string) => {
      const changed = structuredClone(template);
      const roleId = (changed.Resources[model.functions.Sink?.logicalId as string]?.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      for (const resource of Object.values(changed.Resources)) {
        if (resource.Type !== 'AWS::IAM::Policy' || !JSON.stringify(resource.Properties?.Roles).includes(`"${roleId}"`)) continue;
        for (const statement of (resource.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement) {
          statement.Action = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter((a) => a !== action);
        }
      }
      return changed;
    };
    expect(() => localIam(without('dynamodb:GetRecords'), readAppModel(template), 'us-east-1')).toThrow(
      /^qosgate: the event source mapping of \S+'s stream to Sink cannot be created: InvalidParameterValueException: The provided execution role does not have permissions to call GetRecords \(dynamodb:GetRecords on arn:aws:dynamodb:us-east-1:000000000000:table\/qosgate-dev-History\/stream\/local\)/,
    );
    expect(() => localIam(without('sqs:SendMessage'), readAppModel(template), 'us-east-1')).toThrow(/to Sink cannot be created: .*sqs:SendMessage on arn:aws:sqs:us-east-1:000000000000:IngestionSinkDeadLetterQueue/);
    expect(() => localIam(template, model, 'us-east-1')).not.toThrow();
  });
});
