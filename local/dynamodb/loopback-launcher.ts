import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How java runs LoopbackServerRunner.java (DynamoDB Local bound to 127.0.0.1, see that file).
 *
 * Compiled once, with the JVM's own compiler (`java -m jdk.compiler/com.sun.tools.javac.Main`,
 * which is what the `javac` command runs; Debian's openjdk-17-jre-headless has the module, and
 * no `javac` command), into `.qosgate/launcher/<hash>/`, keyed by the source and the jar it is
 * compiled against. Compiling in the server's own JVM instead (the single-file source launcher,
 * `java LoopbackServerRunner.java`) costs ~0.6 s at every start, and javac's classes then compete
 * with DynamoDB Local for the JIT while it warms up: its first requests got slow enough for
 * clients' 500 ms resends to fire. The source launcher stays the fallback when the compiled class
 * cannot be made (a read-only checkout, say).
 */

/** The launcher's source, beside this file. */
export const LOOPBACK_LAUNCHER_SOURCE = fileURLToPath(new URL('./LoopbackServerRunner.java', import.meta.url));
const MAIN_CLASS = 'LoopbackServerRunner';
/** Where compiled launchers are kept: the project's gitignored local state folder. */
const CACHE_DIR = fileURLToPath(new URL('../../.qosgate/launcher/', import.meta.url));

/** The java arguments that name the launcher, after the class path: a main class or a source file. */
export interface LauncherCommand {
  /** Extra class path entry (the compiled class's folder), if compiled. */
  classPath?: string;
  /** `LoopbackServerRunner`, or the .java file for the source launcher. */
  main: string;
  /** What happened, for the log: compiled now, reused, or why it fell back. */
  note?: string;
}

/**
 * The compiled launcher for `jar`, compiling it first if this source and jar have not been
 * compiled yet. Two starts compiling at once each compile into a temporary folder and rename it
 * into place, so neither sees half a class.
 */
export async function loopbackLauncher(java: string, jar: string): Promise<LauncherCommand> {
  const source = readFileSync(LOOPBACK_LAUNCHER_SOURCE);
  const key = createHash('sha256').update(source).update('\0').update(jar).digest('hex').slice(0, 16);
  const dir = join(CACHE_DIR, key);
  if (existsSync(join(dir, `${MAIN_CLASS}.class`))) return { classPath: dir, main: MAIN_CLASS };
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const temp = mkdtempSync(join(CACHE_DIR, `${key}.tmp-`));
    try {
      // --release 17: the class runs on any Java 17 or later, whichever compiled it.
      await run(java, ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '--release', '17', '-nowarn', '-cp', jar, '-d', temp, LOOPBACK_LAUNCHER_SOURCE]);
      try {
        renameSync(temp, dir);
      } catch (error) {
        // Another start got there first: its class is the same.
        if (!existsSync(join(dir, `${MAIN_CLASS}.class`))) throw error;
      }
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
    return { classPath: dir, main: MAIN_CLASS, note: `compiled ${MAIN_CLASS} into ${dir}` };
  } catch (error) {
    return { main: LOOPBACK_LAUNCHER_SOURCE, note: `running ${MAIN_CLASS}.java with the source launcher (could not compile it: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 120_000 }, (error, _stdout, stderr) => (error ? reject(new Error(`${error.message.split('\n')[0]} ${stderr}`.trim())) : resolve()));
  });
}
