import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Secrets Manager endpoint for the bundled mode that answers one call, GetSecretValue, for the
 * secrets it is given: a function whose template names a secret (the Authorizer's JWT_SECRET_ARN)
 * then reads it through the real SDK client, as on Lambda, instead of a local fallback. The
 * workers reach it through AWS_ENDPOINT_URL_SECRETS_MANAGER. It speaks the service's JSON 1.1
 * protocol (`X-Amz-Target: secretsmanager.GetSecretValue`); anything else is refused, saying so.
 */
export interface LocalSecrets {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  close(): Promise<void>;
}

const JSON_11 = 'application/x-amz-json-1.1';

/** Serves `secrets` (ARN -> SecretString) on 127.0.0.1. */
export async function startLocalSecrets(secrets: Record<string, string>): Promise<LocalSecrets> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const fail = (status: number, type: string, message: string) => {
        response.writeHead(status, { 'content-type': JSON_11, 'x-amzn-errortype': type });
        response.end(JSON.stringify({ __type: type, message }));
      };
      const target = request.headers['x-amz-target'];
      if (target !== 'secretsmanager.GetSecretValue') {
        fail(400, 'InvalidRequestException', `the local Secrets Manager answers GetSecretValue only, not ${String(target)}`);
        return;
      }
      let secretId: unknown;
      try {
        secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId;
      } catch {
        fail(400, 'InvalidRequestException', 'the request body is not JSON');
        return;
      }
      const value = typeof secretId === 'string' ? secrets[secretId] : undefined;
      if (value === undefined) {
        fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return;
      }
      response.writeHead(200, { 'content-type': JSON_11 });
      response.end(JSON.stringify({ ARN: secretId, Name: String(secretId).split(':').at(-1), SecretString: value, VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: 0 }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The ARN a template secret gets locally: its logical id names it. */
export function localSecretArn(region: string, logicalId: string): string {
  return `arn:aws:secretsmanager:${region}:000000000000:secret:${logicalId}`;
}
