/**
 * The qosgate client for Node 20: everything of the browser entry, with `ws` as the
 * transport by default and the file outbox. Import this in Node; bundle client/index.ts
 * for the browser.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { QosgateClient } from './client.js';
import type { ClientOptions } from './options.js';
import type { HandshakeRefusal, WebSocketConstructor } from './transport.js';

export * from './index.js';
export { FileOutbox } from './file-outbox.js';

/** Enough of a refusal's body to say why; the rest is not read. */
const MAX_REFUSAL_BODY_BYTES = 4096;
/** What is shown of it. */
const MAX_REFUSAL_REASON_CHARS = 300;

/**
 * `ws` as a WebSocketLike: it offers the browser's `onopen`/`onmessage`/`onclose`/`onerror`
 * and hands text frames over as strings; only its richer event types differ from the port's.
 * On a refused handshake it reads the response (ws's `unexpected-response` event, which ws
 * otherwise turns into "Unexpected server response: 400" and drops the body), sets `refusal`,
 * and ends the attempt, so the client can say why: `refused (400): unknown controller: nope`.
 */
export class RefusalReadingWebSocket extends WebSocket {
  refusal: HandshakeRefusal | undefined;

  constructor(url: string) {
    super(url);
    this.on('unexpected-response', (request, response) => {
      void readBody(response).then((body) => {
        this.refusal = { status: response.statusCode ?? 0, body: refusalReason(body) };
        request.destroy();
        // While connecting, terminate() aborts the handshake: `error`, then `close` (1006).
        this.terminate();
      });
    });
  }
}

export const NodeWebSocket = RefusalReadingWebSocket as unknown as WebSocketConstructor;

/** The body, up to MAX_REFUSAL_BODY_BYTES; whatever came if it fails or is cut. Never rejects. */
function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= MAX_REFUSAL_BODY_BYTES) {
        response.destroy();
        done();
      }
    });
    response.once('end', done);
    response.once('error', done);
    response.once('close', done);
  });
}

/**
 * The reason in a refusal's body: `$connect`'s plain text (`unknown controller: nope`), or
 * API Gateway's own `{"message":"Unauthorized"}`; one line, cut to a readable length.
 */
export function refusalReason(body: string): string {
  let text = body;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') text = (parsed as { message: string }).message;
  } catch {
    // not JSON: the text itself
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REFUSAL_REASON_CHARS ? `${line.slice(0, MAX_REFUSAL_REASON_CHARS)}…` : line;
}

/** Node options: as ClientOptions, the transport defaulting to `ws`. */
export type NodeClientOptions = ClientOptions;

/** Creates a client over `ws` without connecting. */
export function createClient(options: NodeClientOptions): QosgateClient {
  return new QosgateClient({ WebSocket: NodeWebSocket, ...options });
}

/** Connects over `ws`; resolves once the first connection is open (see client/index.ts `connect`). */
export async function connect(options: NodeClientOptions): Promise<QosgateClient> {
  const client = createClient(options);
  await client.open();
  return client;
}
