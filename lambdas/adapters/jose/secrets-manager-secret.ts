import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from './jose-token-verifier.js';

/**
 * The HS256 key from Secrets Manager: the secret's string, or, for a JSON secret (what CDK's
 * `generateSecretString` with a template makes), its `key` field. The caller caches it.
 */
export function secretsManagerSecret(client: SecretsManagerClient, secretId: string): SecretSource {
  return async () => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined || SecretString === '') throw new Error(`qosgate: secret ${secretId} has no string value`);
    if (SecretString.startsWith('{')) {
      const parsed = JSON.parse(SecretString) as { key?: unknown };
      if (typeof parsed.key !== 'string') throw new Error(`qosgate: secret ${secretId} is JSON without a "key" string`);
      return parsed.key;
    }
    return SecretString;
  };
}
