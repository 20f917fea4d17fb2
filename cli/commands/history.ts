import { connect } from '../../client/node.js';
import { logConnection, unlessEnded } from '../connection-log.js';
import { CONNECTION_OPTIONS, connectionOptions, line, parseDuration, UsageError, type Command, type Values } from '../options.js';

/** PROTOCOL §10: prints a topic's stored messages, newest first, one line each. */
export const history: Command = {
  name: 'history',
  summary: 'Prints a topic’s stored messages, newest first (time, data, clientId); --since 1h for the last hour.',
  usage: 'qosgate history <controller> <topic> [--url <url>] [--since <ISO|ms|1h>] [--before <ISO|ms|1h>] [--limit n] [--json]',
  options: {
    ...CONNECTION_OPTIONS,
    since: { type: 'string', description: 'from this time on: an ISO date, ms since the epoch, or 1h / 30m / 10s ago (also --since=-1h)', valueName: 'time' },
    before: { type: 'string', description: 'only before this time (same forms): pages further back', valueName: 'time' },
    limit: { type: 'string', description: 'at most this many, 1-1000 (default 100)', valueName: 'n' },
    json: { type: 'boolean', description: 'print each item as JSON' },
  },
  notes: 'Examples: qosgate history sensor temp --since 1h (the last hour); qosgate history sensor temp --limit 10 --before 2026-12-01T12:00:00Z',
  async run(values, positionals, io) {
    const [controller, topic, ...extra] = positionals;
    if (controller === undefined || topic === undefined || extra.length > 0) throw new UsageError('give <controller> <topic>');
    const now = Date.now();
    const since = timeOption(values, 'since', now);
    const before = timeOption(values, 'before', now);
    const limit = limitOption(values.limit);
    const client = await connect(connectionOptions(values));
    const log = logConnection(client, io);
    try {
      const page = await unlessEnded(
        client.historyPage(controller, topic, { ...(since !== undefined ? { since } : {}), ...(before !== undefined ? { before } : {}), ...(limit !== undefined ? { limit } : {}) }),
        log,
      );
      for (const item of page.items) {
        line(io.stdout, values.json === true ? JSON.stringify(item) : `${new Date(item.at).toISOString()} ${JSON.stringify(item.data) ?? 'null'} clientId=${item.clientId}`);
      }
      line(io.stderr, `${page.items.length} message${page.items.length === 1 ? '' : 's'} of ${controller}/${topic}${page.next !== undefined ? `; older ones: --before ${page.next}` : ''}`);
    } finally {
      await client.close();
    }
    return 0;
  },
};

/** `--since` / `--before`: `1h` or `-1h` (that long ago), a number of ms since the epoch, or an ISO date. */
export function timeOption(values: Values, name: 'since' | 'before', now: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (/^\d+$/.test(text)) return Number(text);
  // `-1h` (as --since=-1h: a lone `-1h` reads as an option) or `1h`: that long ago.
  if (/^-?\d+(\.\d+)?(ms|s|m|h)$/.test(text)) return now - parseDuration(text.replace(/^-/, ''));
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new UsageError(`--${name} must be an ISO date, ms since the epoch or a duration ago like 1h, not ${text}`);
  return parsed;
}

function limitOption(value: Values[string]): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not ${String(value)}`);
  return n;
}
