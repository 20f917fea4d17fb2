/**
 * `qosgate`: watch and drive the service from a terminal. One file per command in
 * cli/commands/; every command takes --help. Run through cli/bin.js (the package's bin), or
 * `npm run qosgate -- <command> ...`.
 */
import { main } from './main.js';

/** The process entry: Ctrl-C and SIGTERM end the command cleanly (its connection closed). */
async function runProcess(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    // A second Ctrl-C does not wait for a clean close.
    if (++signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal });
  process.exitCode = code;
  // stdin may still hold the event loop open (raw, a TTY): this command is done.
  process.stdin.destroy();
  setTimeout(() => process.exit(code), 100).unref();
}

await runProcess();
