import { QosgateClient } from '../../../client/client.js';
import type { ClientOptions } from '../../../client/options.js';
import { waitUntil } from './controlled-ws.js';
import { fakeWebSocket, FakeTime, sequentialIds, settle } from './fakes.js';

/** A client on fake sockets and fake time, opened; `socket()` is the live connection. */
export async function openFakeClient(options: Partial<ClientOptions> = {}) {
  const time = new FakeTime();
  const transport = fakeWebSocket();
  const errors: Error[] = [];
  const client = new QosgateClient({
    url: 'ws://qosgate.test/dev',
    WebSocket: transport.WebSocket,
    timers: time,
    clock: time,
    ids: sequentialIds(),
    random: () => 0.5,
    ...options,
  });
  client.events.on('error', (e) => errors.push(e));
  const opened = client.open();
  // The first socket is made once the store is read (a file store: real I/O, so wait for it).
  await settle();
  await waitUntil(() => transport.sockets.length > 0, 'the client to read its store and open a socket');
  transport.last().accept();
  await opened;
  return { client, time, transport, errors, socket: () => transport.last() };
}
