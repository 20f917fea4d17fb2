import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { QosFunction } from '../../../lib/constructs/qos-function.js';

/** One real esbuild bundle of the smallest entry (Ping), with or without its source map. */
function bundle(sourceMaps: boolean): { environment: Record<string, unknown> | undefined; assetDir: string } {
  const app = new App();
  const stack = new Stack(app, 'Fn');
  const fn = new QosFunction(stack, 'Ping', {
    entry: 'lambdas/entry/ping.ts',
    timeout: Duration.seconds(3),
    logs: { level: 'INFO', retention: RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY, sourceMaps },
  });
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  const [resource] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const key = resource!.Properties.Code.S3Key as string;
  expect(fn.runtime.name).toBe('nodejs22.x');
  return { environment: resource!.Properties.Environment?.Variables, assetDir: join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`) };
}

describe('QosFunction source maps (qosgate:sourceMaps)', () => {
  it('ships no map and leaves NODE_OPTIONS unset by default', () => {
    const { environment, assetDir } = bundle(false);
    expect(existsSync(join(assetDir, 'index.js'))).toBe(true);
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(false);
    expect(environment?.NODE_OPTIONS).toBeUndefined();
  }, 60_000);

  it('ships the map and turns on Node source-map support together when asked', () => {
    const { environment, assetDir } = bundle(true);
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    expect(environment?.NODE_OPTIONS).toBe('--enable-source-maps');
  }, 60_000);
});
