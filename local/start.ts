/**
 * `npm start`: the whole qosgate service on this machine (see README "Running locally").
 *
 *   npm start -- [--port 3001] [--host 127.0.0.1] [--data .qosgate/data | --in-memory]
 *                [--stage dev] [--policy '{"ackTimeoutMs":3000}'] [--sweep '{"intervalMs":1000}']
 *                [--idle-timeout-ms 600000] [--max-connection-ms 7200000] [--quiet]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AUTH_ENV, LOCAL_DEV_JWT_SECRET } from '../lambdas/config.js';
import type { Logger } from '../lambdas/ports/logger.js';
import { consoleFrameLog, silentFrameLog } from './frame-log.js';
import { startLocalRuntime } from './runtime.js';
import { LOCAL_STATE_DIR } from './template/synth.js';

const HELP = `qosgate local runtime: API Gateway WebSocket emulation + the Lambda handlers + DynamoDB Local

Options:
  --port N               WebSocket and management API port (default 3001, or QOSGATE_PORT)
  --host H               address to listen on (default 127.0.0.1)
  --data DIR             DynamoDB Local data folder, kept across restarts (default .qosgate/data)
  --in-memory            throwaway DynamoDB Local, nothing written to disk
  --stage NAME           the stage name (CDK context qosgate:stageName)
  --policy JSON          QoS policy overrides (CDK context qosgate:policy), e.g. '{"ackTimeoutMs":3000}'
  --sweep JSON           resend sweep overrides (CDK context qosgate:sweep), e.g. '{"intervalMs":1000}'
  --idle-timeout-ms N    close idle connections after N ms (API Gateway: 10 minutes)
  --max-connection-ms N  close connections after N ms (API Gateway: 2 hours)
  --auth                 require a token on connect, as a deployed stage does (HS256 with
                         QOSGATE_JWT_SECRET, default a fixed dev key; mint: npm run qosgate -- token)
  --quiet                do not print the In/Out frame log
  --help                 this text`;

function jsonOption(name: string, value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new Error(`--${name} must be a JSON object, e.g. '{"ackTimeoutMs":3000}'`);
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  // The machines run Node 20 on purpose; the SDK's notice that it will want Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      'in-memory': { type: 'boolean' },
      stage: { type: 'string' },
      policy: { type: 'string' },
      sweep: { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'max-connection-ms': { type: 'string' },
      quiet: { type: 'boolean' },
      auth: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const context: Record<string, unknown> = {};
  if (values.stage) context['qosgate:stageName'] = values.stage;
  const policy = jsonOption('policy', values.policy);
  if (policy) context['qosgate:policy'] = policy;
  const sweep = jsonOption('sweep', values.sweep);
  if (sweep) context['qosgate:sweep'] = sweep;
  if (values.auth) {
    context['qosgate:authRequired'] = true;
    // The Authorizer reads the host's QOSGATE_JWT_SECRET locally (no Secrets Manager here).
    process.env[AUTH_ENV.localSecret] ||= LOCAL_DEV_JWT_SECRET;
  }

  const frameLog = values.quiet ? silentFrameLog : consoleFrameLog();
  // The handlers' own info lines repeat what the In/Out log shows; their warnings and errors matter.
  const log: Logger = {
    info: () => {},
    warn: (message, fields) => frameLog.note(`WARN ${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => frameLog.note(`ERROR ${message} ${JSON.stringify(fields ?? {})}`),
  };
  const dataDir = values.data ? resolve(values.data) : join(LOCAL_STATE_DIR, 'data');
  const port = intOption('port', values.port ?? process.env.QOSGATE_PORT) ?? 3001;
  const idleTimeoutMs = intOption('idle-timeout-ms', values['idle-timeout-ms']);
  const maxConnectionMs = intOption('max-connection-ms', values['max-connection-ms']);

  const runtime = await startLocalRuntime({
    host: values.host ?? '127.0.0.1',
    port,
    dataDir,
    inMemory: values['in-memory'] ?? false,
    context,
    frameLog,
    log,
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
    ...(maxConnectionMs !== undefined ? { maxConnectionMs } : {}),
  });

  const schedules = runtime.model.schedules.map((s) => `${s.expression} -> ${s.functionId}`).join(', ') || 'none';
  console.log(
    [
      '',
      'qosgate is running on this machine',
      `  Dashboard       ${runtime.dashboardUrl ?? 'off'}   (open it in a browser: watch QoS happen)`,
      `  WebSocket       ${runtime.url}`,
      `  Management API  ${runtime.callbackUrl}/@connections/{connectionId}`,
      `  DynamoDB Local  ${runtime.dynamodbEndpoint} (${values['in-memory'] ? 'in memory' : `data in ${dataDir}`})`,
      `  Schedules       ${schedules}`,
      ...(values.auth
        ? [
            `  Auth            on: HS256 key ${process.env[AUTH_ENV.localSecret] === LOCAL_DEV_JWT_SECRET ? `${LOCAL_DEV_JWT_SECRET} (the dev default)` : `from ${AUTH_ENV.localSecret}`}`,
            `                  token: npm run -s qosgate -- token --client-id dev-7 --controllers monitor,sensor`,
          ]
        : []),
      '',
      'Try the seed demo in three terminals:',
      `  npx wscat -c '${runtime.url}?controllers=monitor&qos=1'   then type  monitor|msgack|<id>`,
      `  npx wscat -c '${runtime.url}?controllers=monitor'`,
      `  npx wscat -c '${runtime.url}?controllers=sensor'          then type  sensor|temp|25.3`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

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
}

main().catch((error: unknown) => {
  console.error(`qosgate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
