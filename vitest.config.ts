import { defineConfig } from 'vitest/config';

// The machines run Node 20 on purpose; the SDK's notice about Node 22 is noise in every run
// (set here so the global setup and every worker inherit it).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the whole run, started on a free port and stopped afterwards.
    globalSetup: ['test/support/dynamodb-local.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
