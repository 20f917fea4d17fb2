/**
 * The qosgate client for Node 20: everything of the browser entry, with `ws` as the
 * transport by default and the file outbox. Import this in Node; bundle client/index.ts
 * for the browser.
 */
import WebSocket from 'ws';
import { QosgateClient } from './client.js';
import type { ClientOptions } from './options.js';
import type { WebSocketConstructor } from './transport.js';

export * from './index.js';
export { FileOutbox } from './file-outbox.js';

/**
 * `ws` as a WebSocketLike: it offers the browser's `onopen`/`onmessage`/`onclose`/`onerror`
 * and hands text frames over as strings; only its richer event types differ from the port's.
 */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

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
