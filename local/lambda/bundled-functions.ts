import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../lambdas/ports/logger.js';
import type { LambdaContextLike } from '../gateway/types.js';
import type { FunctionModel } from '../template/app-model.js';
import { refOf } from '../template/cfn-template.js';
import { localSecretArn, type LocalSecrets } from './local-secrets.js';
import { buildBootstrap, buildHookModule } from './bootstrap-build.js';
import type { EnvironmentSpec, ExecutionEnvironment } from './execution-environment.js';
import { FunctionPool } from './function-pool.js';
import { lambdaEnvironment } from './lambda-environment.js';
import { lambdaNode, type LambdaNode } from './node-binary.js';
import type { ClientHook, InvocationReport } from './protocol.js';
import { linkRuntimeModules } from './runtime-modules.js';
import { workerLineSink } from './worker-log.js';

const ROOT_PREFIX = 'qosgate-lambda-';
/** The pid of the runtime a temp folder belongs to. */
const OWNER_FILE = 'owner.pid';

/**
 * Removes the temp folders of runtimes that died without stopping (SIGKILL): their owner's pid
 * is gone. A folder without an owner file is left alone (it is being made).
 */
function removeAbandonedRoots(): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(ROOT_PREFIX))) {
    const root = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(root, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    rmSync(root, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What `startLocalRuntime({ bundled })` can tune. */
export interface BundledModeOptions {
  /** Execution environments per function at most (default 4). */
  maxEnvironmentsPerFunction?: number;
  /**
   * A module whose `hookClient(client, arg)` the worker calls once for every SDK client it
   * creates (e.g. to add an IAM-enforcing middleware). A .ts module is bundled with esbuild first.
   * `argFor` gives each function its own argument (e.g. its role's policy); else `arg` is everyone's.
   */
  clientHook?: ClientHook & { argFor?: (fn: FunctionModel) => unknown };
  /**
   * Told of every invocation what its environment measured, as Lambda's REPORT line: the handler's
   * duration (not the wait for a free environment), its CPU and the worker's peak memory.
   */
  onReport?: (functionId: string, report: InvocationReport) => void;
}

/** What the bundled functions need from the runtime around them. */
export interface BundledSettings {
  region: string;
  endpoints: { dynamodb: string; sqs: string; firehose?: string };
  /** Where the workers' log lines go. */
  log: Logger;
  /** The local Secrets Manager serving the template's secrets (local/lambda/local-secrets.ts), if the template has any; stopped with the functions. */
  secrets?: LocalSecrets;
  /** Told of each cold start (function, init time). */
  onColdStart?: (functionId: string, environment: ExecutionEnvironment) => void;
}

/** A function's handler in bundled mode: the gateway's shape, run in a worker. */
export type BundledHandler = (event: never, context?: Partial<LambdaContextLike>) => Promise<unknown>;

/**
 * The deploy bundles of a bundled synth, each run in its own pool of Node 22 processes
 * (local/lambda/function-pool.ts). Everything lives in one temp folder outside the project:
 *
 * ```
 *  $TMPDIR/qosgate-lambda-XXXX/
 *    runtime/bootstrap.cjs        the worker (local/lambda/bootstrap.ts, built with esbuild)
 *    runtime/node_modules/        symlinks: @aws-sdk/* and their dependencies (NODE_PATH)
 *    task/<functionId>/index.js   a copy of the function's asset folder (LAMBDA_TASK_ROOT)
 * ```
 *
 * Outside the project, so that Node's lookup from the bundle never reaches the project's
 * node_modules: what the bundle does not contain must be in the runtime's modules, as on Lambda.
 */
export class BundledFunctions {
  /** The Node the functions run on. */
  readonly node: LambdaNode;
  /** The temp folder above. */
  readonly root: string;
  /** The packages the workers can resolve besides their bundle. */
  readonly runtimePackages: string[];
  private readonly bootstrapPath: string;
  private readonly hookModule: string | undefined;
  private readonly pools = new Map<string, FunctionPool>();

  constructor(
    private readonly settings: BundledSettings,
    private readonly options: BundledModeOptions = {},
  ) {
    this.node = lambdaNode();
    removeAbandonedRoots();
    this.root = mkdtempSync(join(tmpdir(), ROOT_PREFIX));
    try {
      writeFileSync(join(this.root, OWNER_FILE), String(process.pid));
      const runtimeModules = join(this.root, 'runtime', 'node_modules');
      mkdirSync(runtimeModules, { recursive: true });
      this.runtimePackages = linkRuntimeModules(runtimeModules);
      this.bootstrapPath = buildBootstrap(join(this.root, 'runtime'));
      this.hookModule = options.clientHook ? buildHookModule(options.clientHook.module, join(this.root, 'runtime')) : undefined;
    } catch (error) {
      rmSync(this.root, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * The handler of one function: its bundle copied to its task root, run with exactly `environment`
   * (the template's, resolved) plus Lambda's platform variables.
   */
  add(fn: FunctionModel, environment: Record<string, string>): BundledHandler {
    const spec = this.specFor(fn, environment);
    const pool = new FunctionPool({
      spec,
      timeoutMs: fn.timeoutSeconds * 1000,
      memoryMb: fn.memoryMb,
      ...(this.options.maxEnvironmentsPerFunction !== undefined ? { maxEnvironments: this.options.maxEnvironmentsPerFunction } : {}),
      ...(this.settings.onColdStart ? { onColdStart: (environment) => this.settings.onColdStart?.(fn.functionId, environment) } : {}),
      ...(this.options.onReport ? { onReport: (report) => this.options.onReport?.(fn.functionId, report) } : {}),
    });
    this.pools.set(fn.functionId, pool);
    return (event, context) => pool.invoke(event, context);
  }

  /**
   * How an execution environment of `fn` is started: its bundle copied to its task root (once),
   * its whole environment, the bootstrap and hook (the bench starts environments from it directly).
   */
  specFor(fn: FunctionModel, environment: Record<string, string>): EnvironmentSpec {
    const asset = fn.asset;
    if (!asset?.bundled) throw new Error(`${fn.functionId}: the template has no bundled asset for it (synthesize with bundle: true, local/template/synth.ts synthBundled)`);
    const [file] = fn.handler.split('.');
    if (!existsSync(join(asset.path, `${file}.js`))) throw new Error(`${fn.functionId}: its bundle ${join(asset.path, `${file}.js`)} (handler ${fn.handler}) does not exist`);
    const taskRoot = join(this.root, 'task', fn.functionId);
    if (!existsSync(taskRoot)) cpSync(asset.path, taskRoot, { recursive: true });
    const runtimeModules = join(this.root, 'runtime', 'node_modules');
    // A variable naming a secret gets its local ARN, and the SDK the local Secrets Manager's endpoint:
    // the function reads its secret through the real client, as on Lambda.
    const secretVariables = Object.fromEntries(
      (fn.secretVariables ?? []).map((name) => [name, localSecretArn(this.settings.region, refOf(fn.environment[name]) ?? name)]),
    );
    const secretsEndpoint: Record<string, string> = this.settings.secrets && fn.secretVariables?.length ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: this.settings.secrets.endpoint } : {};
    const env = {
      ...lambdaEnvironment(fn, environment, {
        taskRoot,
        runtimeModules,
        nodePath: this.node.path,
        region: this.settings.region,
        endpoints: this.settings.endpoints,
      }),
      ...secretVariables,
      ...secretsEndpoint,
    };
    return {
      functionName: fn.functionId,
      nodePath: this.node.path,
      bootstrapPath: this.bootstrapPath,
      taskRoot,
      handler: fn.handler,
      env,
      ...(this.hookModule !== undefined ? { hook: { module: this.hookModule, arg: this.hookArg(fn) } } : {}),
      onLine: workerLineSink(fn.functionId, this.settings.log),
    };
  }

  private hookArg(fn: FunctionModel): unknown {
    const hook = this.options.clientHook;
    return hook?.argFor ? hook.argFor(fn) : hook?.arg;
  }

  /** A function's pool (tests look at how many environments it has). */
  pool(functionId: string): FunctionPool | undefined {
    return this.pools.get(functionId);
  }

  /** Kills every worker and removes the temp folder. */
  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.stop()));
    await this.settings.secrets?.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
