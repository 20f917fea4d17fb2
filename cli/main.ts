/**
 * The qosgate CLI without the process: commands, help, dispatch. cli/qosgate.ts runs it on
 * the real process; tests call `main` with their own streams.
 */
import { history } from './commands/history.js';
import { monitor } from './commands/monitor.js';
import { presence } from './commands/presence.js';
import { publish } from './commands/publish.js';
import { raw } from './commands/raw.js';
import { sensor } from './commands/sensor.js';
import { subscribe } from './commands/subscribe.js';
import { token } from './commands/token.js';
import { redactUrl } from '../client/url.js';
import { helpText, line, parseCommandArgs, UsageError, type Command, type Io } from './options.js';

export const COMMANDS: readonly Command[] = [sensor, monitor, publish, subscribe, history, presence, raw, token];

export function mainHelp(): string {
  return [
    'Usage: qosgate <command> [options]',
    '',
    'Watch and drive a qosgate service (QoS 0/1/2 over WebSocket).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    "Every command takes --help. The URL defaults to what 'npm start' serves: ws://127.0.0.1:3001/dev",
    '',
  ].join('\n');
}

/** Runs the CLI on `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    line(io.stderr, `qosgate: unknown command '${name}'\n`);
    io.stderr.write(mainHelp());
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help === true) {
      io.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(values, positionals, io);
  } catch (error) {
    if (error instanceof UsageError) {
      line(io.stderr, `qosgate ${command.name}: ${error.message}\n`);
      io.stderr.write(helpText(command));
      return 2;
    }
    line(io.stderr, errorLine(command.name, error));
    return 1;
  }
}

/**
 * `qosgate <command>: <message> (<cause>)`, once: messages from the server's own code start
 * with `qosgate: ` too (lambdas/config.ts), and would read `qosgate token: qosgate: ...`.
 * A token in a URL in the message is elided (the user may paste this line anywhere).
 */
export function errorLine(commandName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const text = `${withoutPrefix(message)}${cause instanceof Error ? ` (${withoutPrefix(cause.message)})` : ''}`;
  return `qosgate ${commandName}: ${redactUrl(text)}`;
}

function withoutPrefix(message: string): string {
  return message.replace(/^(qosgate(?: [a-z-]+)?: )+/, '');
}
