import { clearLine, createInterface, cursorTo } from 'node:readline';
import WebSocket from 'ws';
import { ConnectionRefusedError } from '../../client/errors.js';
import { RefusalReadingWebSocket } from '../../client/node.js';
import { redactUrl } from '../../client/url.js';
import { aborted, CONNECTION_OPTIONS, DEFAULT_URL, line, parseDuration, qosOption, sessionOption, willOption, type Command } from '../options.js';

/**
 * A raw terminal, as Putty or wscat in the seed's demo: every frame in is printed `< frame`,
 * every line typed (or piped) is sent as it is and printed `> frame`. No QoS is done for
 * you: answer `monitor|msgack|<id>` yourself. Uses `ws` directly, not the client library.
 */
export const raw: Command = {
  name: 'raw',
  summary: 'An interactive WebSocket terminal: prints every frame (< in, > out) and sends each typed line, e.g. sensor|temp|25.3 or monitor|msgack|<id>.',
  usage: 'qosgate raw [--url <url>] [--qos 0|1|2] [--controllers monitor,sensor] [--format json|text]',
  options: {
    ...CONNECTION_OPTIONS,
    qos: { type: 'string', description: 'the QoS to claim (default: none, so everything arrives as QoS 0)', valueName: '0|1|2' },
    controllers: { type: 'string', description: 'controllers to open, comma separated', valueName: 'list' },
    format: { type: 'string', description: 'json (default) or text: how the server writes to this terminal', valueName: 'format' },
    linger: { type: 'string', description: 'when the input ends (a pipe), wait this long for answers, then close (default 1s)', valueName: 'duration' },
  },
  notes: [
    'Frames to type (docs/protocol.md §6, text frames): sensor|temp|25.3   monitor|msgack|<id>   monitor|pubrec|<id>   monitor|subscribe|temp   x|ping|',
    'or JSON: {"action":"publish","controller":"sensor","topic":"temp","data":25.3,"qos":1,"id":"c-1"}',
    "Piped: printf 'x|ping|\\n' | qosgate raw",
  ].join('\n'),
  async run(values, _positionals, io) {
    const url = new URL(typeof values.url === 'string' ? values.url : DEFAULT_URL);
    const will = willOption(values);
    const query: Record<string, string | undefined> = {
      qos: values.qos === undefined ? undefined : String(qosOption(values.qos, 0)),
      controllers: typeof values.controllers === 'string' ? values.controllers : undefined,
      clientId: typeof values['client-id'] === 'string' ? values['client-id'] : undefined,
      session: sessionOption(values.session),
      format: typeof values.format === 'string' ? values.format : undefined,
      token: typeof values.token === 'string' ? values.token : undefined,
      // PROTOCOL §9: the will as query parameters, its data as JSON (client/url.ts does the same).
      willController: will?.controller,
      willTopic: will?.topic,
      willData: will?.data === undefined ? undefined : JSON.stringify(will.data),
      willQos: will?.qos === undefined ? undefined : String(will.qos),
      willRetain: will?.retain === undefined ? undefined : String(will.retain),
    };
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    const linger = parseDuration(typeof values.linger === 'string' ? values.linger : '1s');

    const shownUrl = redactUrl(url.toString());
    const socket = new RefusalReadingWebSocket(url.toString());
    await new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      socket.once('open', () => resolve());
      socket.on('error', (error) => (lastError = error));
      // A refused handshake says why (`refused (400): unknown controller: nope`), not only "Unexpected server response: 400".
      socket.once('close', () =>
        reject(socket.refusal ? new ConnectionRefusedError(socket.refusal.status, socket.refusal.body, shownUrl) : new Error(`could not connect to ${shownUrl}${lastError ? `: ${lastError.message}` : ''}`)),
      );
    });
    line(io.stderr, `connected ${shownUrl} (press CTRL+C to quit)`);
    const closed = new Promise<void>((resolve) =>
      socket.on('close', (code, reason) => {
        line(io.stderr, `disconnected (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
        resolve();
      }),
    );
    const interactive = io.stdin.isTTY === true;
    const input = createInterface({ input: io.stdin, ...(interactive ? { output: io.stdout, prompt: '> ' } : {}) });
    socket.on('message', (data) => {
      if (!interactive) return line(io.stdout, `< ${data.toString()}`);
      // As wscat does: clear the prompt line, print the frame, then draw the prompt again with
      // what was typed so far, so an incoming frame never lands in the middle of the prompt.
      clearLine(io.stdout, 0);
      cursorTo(io.stdout, 0);
      line(io.stdout, `< ${data.toString()}`);
      input.prompt(true);
    });
    input.on('line', (text) => {
      const frame = text.replace(/\r$/, '');
      if (frame.trim() !== '' && socket.readyState === WebSocket.OPEN) {
        socket.send(frame);
        // Typed at a terminal, the line is already on screen; piped, it is echoed like wscat shows it.
        if (!interactive) line(io.stdout, `> ${frame}`);
      }
      if (interactive) input.prompt();
    });
    if (interactive) input.prompt();
    const inputEnded = new Promise<void>((resolve) => input.once('close', () => resolve()));

    await Promise.race([closed, aborted(io.signal), inputEnded.then(() => new Promise((r) => setTimeout(r, linger)))]);
    input.close();
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
      socket.close(1000);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    }
    return 0;
  },
};
