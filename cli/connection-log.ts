import type { QosgateClient } from '../client/client.js';
import { redactUrl } from '../client/url.js';
import { line, type Io } from './options.js';

/**
 * What every connected command prints to stderr about its connection, the same way:
 * `reconnecting in 740 ms`, `reconnected`, `error: ...` (a handler failure, a refused
 * reconnect, `session taken over: another connection with clientId dev-7 ...`), tokens elided.
 * `ended` settles with the reason when the client stops for good by itself (a refusal that
 * retrying cannot change, docs/client.md), so the command can exit 1 instead of waiting forever.
 */
export function logConnection(client: QosgateClient, io: Io): { ended: Promise<Error> } {
  client.events.on('open', (o) => o.reopened && line(io.stderr, 'reconnected'));
  client.events.on('reconnecting', (r) => line(io.stderr, `reconnecting in ${r.delayMs} ms`));
  client.events.on('error', (e) => line(io.stderr, `error: ${redactUrl(e.message)}`));
  const ended = new Promise<Error>((resolve) =>
    client.events.on('close', (c) => {
      if (!c.reconnecting) resolve(new Error(c.reason || `the connection closed (${c.code})`));
    }),
  );
  return { ended };
}

/** Waits for `work`; throws the reason if the connection ended for good first. */
export async function unlessEnded<T>(work: Promise<T>, log: { ended: Promise<Error> }): Promise<T> {
  return Promise.race([work, log.ended.then((error) => Promise.reject(error))]);
}
