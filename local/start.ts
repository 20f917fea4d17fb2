/**
 * `npm start`: the whole qosgate service on this machine (see README "Running locally").
 *
 *   npm start -- [--port 3001] [--host 127.0.0.1] [--data .qosgate/data | --in-memory]
 *                [--stage dev] [--policy '{"ackTimeoutMs":3000}'] [--sweep '{"intervalMs":1000}']
 *                [--idle-timeout-ms 600000] [--max-connection-ms 7200000] [--auth] [--bundled] [--quiet]
 *
 * Exit codes: 0 after Ctrl-C (SIGINT) or SIGTERM; 2 (EXIT_USAGE) for a command line it refuses,
 * before anything starts; 1 when it cannot start (the data folder or port in use, no Java, ...)
 * or when its DynamoDB Local dies under it.
 */
import { AUTH_ENV, LOCAL_DEV_JWT_SECRET } from '../lambdas/config.js';
import type { Logger } from '../lambdas/ports/logger.js';
import { consoleFrameLog, silentFrameLog } from './frame-log.js';
import { startLocalRuntime } from './runtime.js';
import { banner, mintDemoTokens } from './start-banner.js';
import { EXIT_USAGE, HELP, readStartOptions, UsageError } from './start-options.js';

async function main(): Promise<void> {
  // The machines run Node 20 on purpose; the SDK's notice that it will want Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = readStartOptions(process.argv.slice(2));
  if (options.help) {
    console.log(HELP);
    return;
  }
  if (options.auth) {
    // The Authorizer reads the host's QOSGATE_JWT_SECRET locally (no Secrets Manager here).
    process.env[AUTH_ENV.localSecret] ||= LOCAL_DEV_JWT_SECRET;
  }

  const frameLog = options.quiet ? silentFrameLog : consoleFrameLog();
  // The handlers' own info lines repeat what the In/Out log shows; their warnings and errors matter.
  const log: Logger = {
    info: () => {},
    warn: (message, fields) => frameLog.note(`WARN ${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => frameLog.note(`ERROR ${message} ${JSON.stringify(fields ?? {})}`),
  };
  // The JVM and the synth take seconds: say what is happening meanwhile (not with --quiet).
  const onProgress = options.quiet ? undefined : (step: string, message: string) => console.log(`qosgate: ${`${step}:`.padEnd(10)} ${message}`);

  const runtime = await startLocalRuntime({
    host: options.host,
    port: options.port,
    ...(options.dataDir === undefined ? { inMemory: true } : { dataDir: options.dataDir }),
    context: options.context,
    frameLog,
    log,
    ...(options.bundled ? { bundled: true } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.maxConnectionMs !== undefined ? { maxConnectionMs: options.maxConnectionMs } : {}),
    ...(onProgress ? { onProgress } : {}),
  });

  const secret = options.auth ? process.env[AUTH_ENV.localSecret] : undefined;
  const tokens = secret !== undefined ? await mintDemoTokens(secret) : undefined;
  console.log(banner(runtime, options, tokens, secret));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    frameLog.note(`${signal}: stopping`);
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('qosgate: stopping failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The runtime has already stopped everything it started when this resolves.
  void runtime.failed.then((error) => {
    if (stopping) return;
    stopping = true;
    console.error(`qosgate: ${error.message}`);
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  // Messages from lib/config.ts already start with "qosgate: ".
  const message = (error instanceof Error ? error.message : String(error)).replace(/^qosgate: /, '');
  console.error(`qosgate: ${message}`);
  process.exit(error instanceof UsageError ? EXIT_USAGE : 1);
});
