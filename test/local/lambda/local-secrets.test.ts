import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSecretArn, startLocalSecrets, type LocalSecrets } from '../../../local/lambda/local-secrets.js';

describe('the local Secrets Manager of the bundled mode', () => {
  let secrets: LocalSecrets;
  let client: SecretsManagerClient;
  const arn = localSecretArn('us-east-1', 'ConnectAuthorizerJwtSecret1234');
  beforeAll(async () => {
    secrets = await startLocalSecrets({ [arn]: 'the-key' });
    client = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await secrets?.close();
  });

  it('answers GetSecretValue for its secrets to the real SDK client', async () => {
    expect(arn).toBe('arn:aws:secretsmanager:us-east-1:000000000000:secret:ConnectAuthorizerJwtSecret1234');
    await expect(client.send(new GetSecretValueCommand({ SecretId: arn }))).resolves.toMatchObject({ ARN: arn, SecretString: 'the-key' });
  });

  it('refuses an unknown secret and any other call as the service would, saying why', async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:Other' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    await expect(client.send(new ListSecretsCommand({}))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'the local Secrets Manager answers GetSecretValue only, not secretsmanager.ListSecrets',
    });
  });
});
