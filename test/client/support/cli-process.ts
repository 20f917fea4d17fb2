import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './controlled-ws.js';

const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));

/** The `qosgate` bin as a child process, its output collected. */
export class CliProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  lines(): string[] {
    return this.stdout.split('\n').filter((l) => l !== '');
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  endInput(): void {
    this.child.stdin?.end();
  }

  async waitForOutput(pattern: RegExp, what: string, timeoutMs = 20_000): Promise<void> {
    await waitUntil(() => pattern.test(this.stdout) || pattern.test(this.stderr), `${what}; stdout: ${this.stdout}; stderr: ${this.stderr}`, timeoutMs);
  }

  /** Killed outright (SIGKILL): no close frame, no goodbye, as a device that loses power. */
  async kill(): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Ctrl-C: the command closes its connection and exits; killed outright if it does not. */
  async stop(): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
