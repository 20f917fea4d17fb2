import { describe, expect, it } from 'vitest';
import { sdkClosure } from '../../../local/lambda/runtime-modules.js';

describe("the modules Lambda's runtime provides", () => {
  it('are the AWS SDK v3 and its dependencies, transitively, and none of the project\'s other packages', () => {
    const closure = sdkClosure();
    expect(closure).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-apigatewaymanagementapi', '@smithy/core', 'tslib']));
    for (const name of ['ws', 'jose', '@aws-lambda-powertools/logger', 'aws-cdk-lib', 'esbuild', 'vitest', 'tsx']) expect(closure, name).not.toContain(name);
  });
});
