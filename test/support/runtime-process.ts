import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** `npm start` as a person runs it, in its own process group so a test can stop all of it. */
export interface RuntimeProcess {
  child: ChildProcess;
  url: string;
  dynamodbEndpoint: string;
  output: () => string;
  /** Stops the whole group (SIGKILL) or asks it to stop (SIGINT, as Ctrl-C). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startRuntimeProcess(args: string[]): Promise<RuntimeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!/DynamoDB Local\s+(http:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null) throw new Error(`runtime exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`runtime did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url: /WebSocket\s+(ws:\/\/\S+)/.exec(output)?.[1] as string,
    dynamodbEndpoint: /DynamoDB Local\s+(http:\/\/\S+)/.exec(output)?.[1] as string,
    output: () => output,
    kill: (signal) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        try {
          if (signal === 'SIGINT') process.kill(child.pid as number, signal);
          else process.kill(-(child.pid as number), signal);
        } catch {
          resolve();
        }
      }),
  };
}

/** Peak resident memory (VmHWM) of a process, in MiB, from /proc. */
export function peakMemoryMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}
