/**
 * The qosgate client, browser entry: nothing here imports `ws`, `fs` or any Node module, so
 * a bundler for the browser takes only this. Node uses client/node.ts (the `ws` transport
 * and the file outbox). Neither imports anything from the server (lambdas/) at run time.
 *
 * @example
 * const client = await connect({ url: 'wss://example.com/prod', qos: 2, clientId: 'dash-1', session: 'persistent', controllers: ['monitor'] });
 * client.on('monitor', 'temp', (m) => console.log(m.data));
 * await client.publish('sensor', 'temp', 21.5, { qos: 1 });
 */
import { QosgateClient } from './client.js';
import type { ClientOptions } from './options.js';

export { QosgateClient, type ClientEvents, type PublishOptions } from './client.js';
export type { ClientOptions } from './options.js';
export type { HistoryItem, HistoryOptions, HistoryPage } from './history.js';
export type { ConnectParams, WillOption } from './url.js';
export { buildConnectUrl, redactUrl } from './url.js';
export type { InboundMessage, MessageHandler } from './handlers.js';
export { ANY } from './handlers.js';
export type { IncomingEntry, OutboxBatchMessage, OutboxEntry, OutboxStep, OutboxStore } from './outbox.js';
export { MemoryOutbox } from './memory-outbox.js';
export { DEFAULT_BATCH_BYTES, MAX_BATCH_MESSAGES, splitBatches, type BatchMessage, type BatchOptions } from './publish-batch.js';
export type { HandshakeRefusal, WebSocketConstructor, WebSocketLike } from './transport.js';
export type { Clock, Timers, TimerHandle } from './timers.js';
export type { IdProvider } from './ids.js';
export { createIdProvider } from './ids.js';
export type { BackoffOptions } from './backoff.js';
export { backoffDelay, takeoverDelay } from './backoff.js';
export type { ClientFrame, ErrorCode, Qos, ServerFrame } from './frames.js';
export { frameBytes, MAX_FRAME_BYTES } from './frame-size.js';
export {
  ClientClosedError,
  ConnectError,
  ConnectionRefusedError,
  FrameTooLargeError,
  isFinalRefusal,
  MessageExpiredError,
  QosgateClientError,
  ServerRefusedError,
  SessionTakenOverError,
  type ClientErrorCode,
} from './errors.js';

/** Creates a client without connecting (register handlers, then `await client.open()`). */
export function createClient(options: ClientOptions): QosgateClient {
  return new QosgateClient(options);
}

/**
 * Connects and resolves with the client once the first connection is open; rejects with
 * ConnectError if it cannot be opened. After that the client reconnects by itself.
 * In the browser the global WebSocket is used.
 */
export async function connect(options: ClientOptions): Promise<QosgateClient> {
  const client = new QosgateClient(options);
  await client.open();
  return client;
}
