import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the whole run, started on a free port and stopped afterwards.
    globalSetup: ['test/support/dynamodb-local.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
