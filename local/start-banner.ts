import { SignJWT } from 'jose';
import { AUTH_ENV, LOCAL_DEV_JWT_SECRET } from '../lambdas/config.js';
import type { LocalRuntime } from './runtime.js';
import type { StartOptions } from './start-options.js';

/** The tokens the `--auth` banner's example commands carry (PROTOCOL §1 `token`). */
export interface DemoTokens {
  monitor: string;
  sensor: string;
  /** How long they are valid. */
  hours: number;
}

/** Lifetime of the banner's tokens: a working day and then some; mint more with `qosgate token`. */
export const DEMO_TOKEN_HOURS = 24;

/**
 * Mints the tokens for the seed demo under `--auth`, as `qosgate token` does (HS256, claims
 * clientId/sub, controllers, actions): without them the banner's wscat commands would get 401.
 * Each token is bound to its clientId, and the commands put that clientId in the URL.
 */
export async function mintDemoTokens(secret: string, now: Date = new Date()): Promise<DemoTokens> {
  const key = new TextEncoder().encode(secret);
  const iat = Math.floor(now.getTime() / 1000);
  const sign = (clientId: string, controllers: string[], actions: string[]) =>
    new SignJWT({ clientId, controllers, actions })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + DEMO_TOKEN_HOURS * 3600)
      .sign(key);
  return {
    monitor: await sign('demo-monitor', ['monitor'], ['publish', 'subscribe']),
    sensor: await sign('demo-sensor', ['sensor'], ['publish']),
    hours: DEMO_TOKEN_HOURS,
  };
}

/** The clientIds the demo tokens are bound to. */
export const DEMO_CLIENT_IDS = { monitor: 'demo-monitor', sensor: 'demo-sensor' } as const;

/** What `npm start` prints once it serves: where everything is, what runs, and the seed demo. */
export function banner(runtime: LocalRuntime, options: StartOptions, tokens: DemoTokens | undefined, secret: string | undefined): string {
  const schedules = runtime.model.schedules.map((s) => `${s.expression} -> ${s.functionId}`).join(', ') || 'none';
  const url = runtime.url;
  // Two monitors with one token: a token binds a clientId, and a clientId is one session, so the
  // second monitor connects without one (its session is then its connection's own).
  const monitorQos = tokens ? `${url}?controllers=monitor&qos=1&clientId=${DEMO_CLIENT_IDS.monitor}&token=${tokens.monitor}` : `${url}?controllers=monitor&qos=1`;
  const monitorPlain = tokens ? `${url}?controllers=monitor&token=${tokens.monitor}` : `${url}?controllers=monitor`;
  const sensor = tokens ? `${url}?controllers=sensor&clientId=${DEMO_CLIENT_IDS.sensor}&token=${tokens.sensor}` : `${url}?controllers=sensor`;
  return [
    '',
    'qosgate is running on this machine',
    `  Dashboard       ${runtime.dashboardUrl ?? 'off'}   (open it in a browser: watch QoS happen)`,
    `  WebSocket       ${url}`,
    `  Management API  ${runtime.callbackUrl}/@connections/{connectionId}`,
    `  DynamoDB Local  ${runtime.dynamodbEndpoint} (pid ${runtime.dynamodbPid}, 127.0.0.1 only, ${options.dataDir === undefined ? 'in memory' : `data in ${options.dataDir}`})`,
    `  Schedules       ${schedules}`,
    ...(runtime.sink ? [`  Ingestion sink  ${runtime.sink.dir}  (controller=<c>/topic=<t>/hour=<yyyy-MM-ddTHH>/records.jsonl, JSON lines)`] : []),
    functionsLine(runtime.functionsRuntime),
    // sinkEnabled is the stack's (SINK_ENABLED on the recording functions), not a --policy value: the sink line says it.
    ...settingLines('Policy', withoutSinkEnabled(options.policy.active), options.policy.set, '--policy'),
    ...settingLines('Sweep', options.sweep.active, options.sweep.set, '--sweep'),
    ...(tokens
      ? [
          `  Auth            on: HS256 key ${secret === LOCAL_DEV_JWT_SECRET ? `${LOCAL_DEV_JWT_SECRET} (the dev default)` : `from ${AUTH_ENV.localSecret}`}`,
          `                  a connect without a valid token gets 401. The commands below carry tokens minted`,
          `                  for this run (valid ${tokens.hours} h); mint others with:`,
          `                  npm run -s qosgate -- token --client-id dev-7 --controllers monitor,sensor`,
          `                  (or send one as a header: wscat -H "Authorization: Bearer <token>" -c ...)`,
        ]
      : []),
    '',
    'Try the seed demo in three terminals:',
    `  npx wscat -c '${monitorQos}'   then type  monitor|msgack|<id>`,
    `  npx wscat -c '${monitorPlain}'`,
    `  npx wscat -c '${sensor}'          then type  sensor|temp|25.3`,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

/** Which code runs the functions, on which Node. */
export function functionsLine(functions: LocalRuntime['functionsRuntime']): string {
  return functions.mode === 'bundled'
    ? `  Functions       bundled: the deploy bundles on Node ${functions.nodeVersion} (${functions.nodePath}), a process pool per function`
    : `  Functions       source: the TypeScript handlers in this process, on Node ${functions.nodeVersion} (--bundled runs the deploy bundles on Node 22)`;
}

/** `  Policy          ackTimeoutMs 300*, attemptLimit 20, ...` wrapped, `*` marking what the command line set. */
function withoutSinkEnabled(policy: object): object {
  const { sinkEnabled: _stacks, ...rest } = policy as { sinkEnabled?: boolean };
  return rest;
}

function settingLines(label: string, active: object, set: string[], option: string): string[] {
  const items = Object.entries(active).map(([key, value]) => `${key} ${String(value)}${set.includes(key) ? '*' : ''}`);
  const lines: string[] = [];
  let current = '';
  for (const item of items) {
    if (current !== '' && current.length + item.length > 84) {
      lines.push(current);
      current = '';
    }
    current += current === '' ? item : `, ${item}`;
  }
  lines.push(current);
  const note = set.length > 0 ? `(* set by ${option}; the rest are the defaults)` : `(the defaults; change with ${option} '{"key":value}')`;
  return [...lines, note].map((line, i) => `  ${(i === 0 ? label : '').padEnd(16)}${line}`);
}
