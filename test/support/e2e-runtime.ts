import { afterAll, beforeAll } from 'vitest';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime.js';
import { TestClient } from './ws-client.js';

/** One end-to-end test file's local runtime, and a way to open plain `ws` clients on it. */
export interface E2eRuntime {
  /** The running runtime (from beforeAll on). */
  readonly runtime: LocalRuntime;
  /** A client with these query parameters; closed after the file's tests. */
  connect(query: Record<string, string>): Promise<TestClient>;
}

/**
 * Starts a local runtime (a free port, in memory) before the file's tests and stops it, with
 * every client opened through {@link E2eRuntime.connect}, after them. Call it in a describe block.
 */
export function useE2eRuntime(options: LocalRuntimeOptions = {}): E2eRuntime {
  let started: LocalRuntime | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    started = await startLocalRuntime({ port: 0, inMemory: true, ...options });
  }, 120_000);
  afterAll(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await started?.stop();
  }, 60_000);
  const e2e: E2eRuntime = {
    get runtime(): LocalRuntime {
      if (started === undefined) throw new Error('the runtime is started in beforeAll: use it inside a test');
      return started;
    },
    async connect(query) {
      const client = await TestClient.connect(e2e.runtime.url, query);
      clients.push(client);
      return client;
    },
  };
  return e2e;
}
