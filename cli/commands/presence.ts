import type { InboundMessage } from '../../client/handlers.js';
import { connect } from '../../client/node.js';
import { logConnection, unlessEnded } from '../connection-log.js';
import { aborted, CONNECTION_OPTIONS, connectionOptions, countOption, line, type Command } from '../options.js';

/** The reserved controller of presence messages (PROTOCOL §9). */
const PRESENCE = '$presence';

/**
 * Who is online (PROTOCOL §9): subscribes to `$presence` / `#` (every client) or one client's
 * topic, prints the retained values first (who is online now, who left and why), then every
 * change as it comes.
 */
export const presence: Command = {
  name: 'presence',
  summary: 'Lists who is online (the retained $presence values) and follows every connect and disconnect.',
  usage: 'qosgate presence [--url <url>] [--client <clientId>] [--count <n>] [--json]',
  options: {
    ...CONNECTION_OPTIONS,
    client: { type: 'string', description: 'one client only (default: every client, $presence/#)', valueName: 'clientId' },
    count: { type: 'string', description: 'exit after this many presence messages', valueName: 'n' },
    json: { type: 'boolean', description: 'print each presence message as JSON' },
  },
  notes: [
    'Each line: `dev-7 online since 2026-12-01T14:00:00.000Z (connection L0SM9c=)`, or',
    '`dev-7 offline at 2026-12-01T14:05:00.000Z: gone (connection L0SM9c=)`; `(now)` marks a retained value: the state when you started.',
    'With auth on, the token needs the subscribe right on the $presence controller.',
    'Example: qosgate presence --client dev-7',
  ].join('\n'),
  async run(values, _positionals, io) {
    const topic = typeof values.client === 'string' ? values.client : '#';
    const count = countOption(values.count);
    const client = await connect({ ...connectionOptions(values), qos: 1 });
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    client.on(PRESENCE, '*', (message) => {
      if (message.dup) return; // a resend of one already shown
      line(io.stdout, values.json === true ? JSON.stringify(message) : formatPresence(message));
      if (count !== undefined && ++seen >= count) done();
    });
    const log = logConnection(client, io);
    try {
      await unlessEnded(client.subscribe(PRESENCE, topic, { qos: 1 }), log);
      line(io.stderr, `following ${PRESENCE}/${topic}`);
      await unlessEnded(Promise.race([finished, aborted(io.signal)]), log);
    } finally {
      await client.close();
    }
    return 0;
  },
};

/** One line per presence message (see the command's notes). */
export function formatPresence(message: InboundMessage): string {
  const data = (typeof message.data === 'object' && message.data !== null ? message.data : {}) as { event?: unknown; at?: unknown; reason?: unknown; connectionId?: unknown };
  const at = typeof data.at === 'number' ? new Date(data.at).toISOString() : '?';
  const connection = typeof data.connectionId === 'string' ? ` (connection ${data.connectionId})` : '';
  const now = message.retained ? ' (now)' : '';
  if (data.event === 'connected') return `${message.topic} online since ${at}${connection}${now}`;
  if (data.event === 'disconnected') return `${message.topic} offline at ${at}: ${typeof data.reason === 'string' ? data.reason : 'unknown'}${connection}${now}`;
  return `${message.topic} ${JSON.stringify(message.data)}${now}`;
}
